import type { Config } from '../../config/schema.js';
import type { SourceEnvVar } from '../../core/hosting-source.js';

// The env var rewrite: source variables (Vercel/Render) carried to Amplify, with Supabase/Qdrant
// variables mapped to the AWS resources phase 1 created, and secrets routed to a secret store instead
// of plain env vars. Pure: values in, placements out; the steps do the I/O.

export type AmplifyConfig = NonNullable<Config['target']['amplify']>;
export type EnvRule = AmplifyConfig['envMapping'][string];
type ValueSource = EnvRule['set'][string];
export type AwsValueName = Extract<ValueSource, { from: string }>['from'];

export const AMPLIFY_ENV_NAME_MAX = 255;
export const AMPLIFY_ENV_VALUE_MAX = 5500;

/** A new AWS value: known, or why not (a phase-1 output not produced yet, or a target not configured). */
export type AwsValue =
  | { value: string; secret?: boolean }
  | { missing: 'output'; step: string; key: string }
  | { missing: 'config'; field: string };

export type AwsValues = Record<AwsValueName, AwsValue>;

type DefaultRule = { rename?: string; set: Record<string, { from: AwsValueName }> };

const supabaseDb = (): DefaultRule => ({
  rename: 'SUPABASE_DATABASE_URL',
  set: { DATABASE_URL: { from: 'databaseUrl' } },
});
const supabaseDbDataApi = (): DefaultRule => ({
  rename: 'SUPABASE_DATABASE_URL',
  set: {
    DATABASE_RESOURCE_ARN: { from: 'databaseResourceArn' },
    DATABASE_SECRET_ARN: { from: 'databaseSecretArn' },
    DATABASE_NAME: { from: 'databaseName' },
  },
});

/** Built-in mapping from Supabase/Qdrant variables to the phase-1 AWS resources. */
export function defaultRules(rdsMode: 'pg' | 'data-api' | undefined): Record<string, DefaultRule> {
  const db = rdsMode === 'data-api' ? supabaseDbDataApi : supabaseDb;
  return {
    NEXT_PUBLIC_SUPABASE_URL: {
      set: {
        NEXT_PUBLIC_AWS_REGION: { from: 'region' },
        NEXT_PUBLIC_COGNITO_USER_POOL_ID: { from: 'userPoolId' },
        NEXT_PUBLIC_S3_BUCKET: { from: 'bucket' },
      },
    },
    NEXT_PUBLIC_SUPABASE_ANON_KEY: { set: { NEXT_PUBLIC_COGNITO_CLIENT_ID: { from: 'appClientId' } } },
    SUPABASE_URL: {
      set: {
        APP_AWS_REGION: { from: 'region' },
        COGNITO_USER_POOL_ID: { from: 'userPoolId' },
        S3_BUCKET: { from: 'bucket' },
      },
    },
    SUPABASE_ANON_KEY: { set: { COGNITO_CLIENT_ID: { from: 'appClientId' } } },
    DATABASE_URL: db(),
    POSTGRES_URL: { ...db(), rename: 'SUPABASE_POSTGRES_URL' },
    SUPABASE_DB_URL: { set: db().set },
    QDRANT_URL: { set: { VECTOR_TABLE: { from: 'vectorTable' }, VECTOR_AWS_REGION: { from: 'region' } } },
  };
}

const SECRET_NAME =
  /SECRET|PASSWORD|PASSWD|TOKEN|PRIVATE|SERVICE_ROLE|API_KEY|_KEY$|DATABASE_URL|DB_URL|POSTGRES_URL|CONNECTION_STRING|CREDENTIAL/i;
/** Bundled into browser code by the framework: a secret store would hide nothing and break the build. */
const PUBLIC_PREFIX = /^(NEXT_PUBLIC_|VITE_|REACT_APP_|NUXT_PUBLIC_|PUBLIC_|GATSBY_)/;

export interface RewrittenVar {
  key: string;
  /** Undefined only when the source could not reveal it (reported in `problems`). */
  value: string | undefined;
  secret: boolean;
  /** Why it lands where it does, for the plan. */
  reason: string;
  /** The source variable it came from. */
  sourceKey: string;
  /** The AWS value it carries, when mapped. */
  from?: AwsValueName;
}

export type RewriteProblem =
  | { kind: 'unreadable'; key: string; localSource?: string }
  | { kind: 'missing-output'; key: string; from: AwsValueName; step: string; output: string }
  | { kind: 'missing-config'; key: string; from: AwsValueName; field: string }
  | { kind: 'reserved-name'; key: string }
  | { kind: 'too-long'; key: string; length: number };

export interface RewriteResult {
  vars: RewrittenVar[];
  dropped: string[];
  problems: RewriteProblem[];
}

export function rewriteEnv(
  source: SourceEnvVar[],
  config: Pick<AmplifyConfig, 'envMapping' | 'secretKeys' | 'plainKeys'>,
  aws: AwsValues,
  rdsMode: 'pg' | 'data-api' | undefined,
): RewriteResult {
  const defaults = defaultRules(rdsMode);
  const out = new Map<string, RewrittenVar>();
  const dropped: string[] = [];
  const problems: RewriteProblem[] = [];

  const classify = (
    key: string,
    sensitive: boolean,
    override: boolean | undefined,
    mappedSecret: boolean,
  ): [boolean, string] => {
    if (config.plainKeys.includes(key)) return [false, 'plainKeys'];
    if (config.secretKeys.includes(key)) return [true, 'secretKeys'];
    if (override !== undefined) return [override, 'envMapping'];
    if (PUBLIC_PREFIX.test(key)) return [false, 'public (bundled into browser code)'];
    if (mappedSecret) return [true, 'carries a credential'];
    if (sensitive) return [true, 'sensitive on the source'];
    if (SECRET_NAME.test(key)) return [true, 'name looks secret'];
    return [false, 'plain'];
  };

  for (const v of source) {
    const custom = config.envMapping[v.key];
    const rule: { drop: boolean; rename?: string; secret?: boolean; set: Record<string, ValueSource> } =
      custom
        ? { drop: custom.drop, rename: custom.rename, secret: custom.secret, set: custom.set }
        : { drop: false, ...defaults[v.key], set: defaults[v.key]?.set ?? {} };
    const explicit = custom !== undefined;

    if (rule.drop) dropped.push(v.key);
    else {
      const key = rule.rename ?? v.key;
      const [secret, reason] = classify(key, v.sensitive, rule.secret, false);
      if (v.value === undefined)
        problems.push({
          kind: 'unreadable',
          key: v.key,
          ...(v.localSource ? { localSource: v.localSource } : {}),
        });
      out.set(key, {
        key,
        value: v.value,
        secret,
        reason: rule.rename ? `${reason}; renamed from ${v.key}` : reason,
        sourceKey: v.key,
      });
    }

    for (const [key, src] of Object.entries(rule.set)) {
      if ('value' in src) {
        const [secret, reason] = classify(key, false, undefined, false);
        out.set(key, {
          key,
          value: src.value,
          secret,
          reason: `${reason}; set by envMapping.${v.key}`,
          sourceKey: v.key,
        });
        continue;
      }
      const found = aws[src.from];
      if ('missing' in found) {
        // A built-in rule for a component the config does not migrate is simply not applied.
        if (found.missing === 'config' && !explicit) continue;
        problems.push(
          found.missing === 'output'
            ? { kind: 'missing-output', key, from: src.from, step: found.step, output: found.key }
            : { kind: 'missing-config', key, from: src.from, field: found.field },
        );
        continue;
      }
      const [secret, reason] = classify(key, false, undefined, found.secret === true);
      out.set(key, {
        key,
        value: found.value,
        secret,
        reason: `${reason}; ${src.from} from ${v.key}`,
        sourceKey: v.key,
        from: src.from,
      });
    }
  }

  for (const v of out.values()) {
    if (/^AWS/i.test(v.key) || v.key.length > AMPLIFY_ENV_NAME_MAX)
      problems.push({ kind: 'reserved-name', key: v.key });
    if (!v.secret && v.value !== undefined && v.value.length > AMPLIFY_ENV_VALUE_MAX) {
      if (config.plainKeys.includes(v.key))
        problems.push({ kind: 'too-long', key: v.key, length: v.value.length });
      else {
        v.secret = true;
        v.reason = `longer than Amplify's ${AMPLIFY_ENV_VALUE_MAX}-character limit`;
      }
    }
  }
  return { vars: [...out.values()].sort((a, b) => a.key.localeCompare(b.key)), dropped, problems };
}
