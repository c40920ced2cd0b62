import { z } from 'zod';

// The shape of migrations.config.json. Strict objects everywhere: an unknown key is almost always a
// typo, and silently ignoring it would migrate with a setting the user thinks is on.

const url = (what: string, protocols: string[]) =>
  z
    .string()
    .refine(
      (value) => {
        try {
          return protocols.includes(new URL(value).protocol);
        } catch {
          return false;
        }
      },
      { message: `expected a ${what} URL (${protocols.map((p) => `${p}//`).join(' or ')}...)` },
    );

const postgresUrl = url('PostgreSQL', ['postgres:', 'postgresql:']);
const httpUrl = url('HTTP(S)', ['http:', 'https:']);
const nonEmpty = z.string().min(1, { message: 'expected a non-empty string' });

/** Globs like "docs_*" are allowed in collection and bucket lists. */
const nameList = z.array(nonEmpty).min(1, { message: 'expected at least one name' });

export const awsRegion = z
  .string()
  .regex(/^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d{1,2}$/, { message: 'expected an AWS region such as "eu-west-1"' });

const supabaseSource = z.strictObject({
  dbUrl: postgresUrl.optional(),
  apiUrl: httpUrl.optional(),
  serviceRoleKey: nonEmpty.optional(),
  schemas: nameList.default(['public']),
  buckets: nameList.optional(),
  /** How files are listed and read: the database + Storage API, the Storage API alone, or the S3-compatible endpoint. */
  storage: z
    .strictObject({
      mode: z.enum(['api', 's3']).default('api'),
      s3Endpoint: httpUrl.optional(),
      s3AccessKeyId: nonEmpty.optional(),
      s3SecretAccessKey: nonEmpty.optional(),
      s3Region: nonEmpty.optional(),
    })
    .optional(),
});

const qdrantSource = z.strictObject({
  url: httpUrl,
  apiKey: nonEmpty.optional(),
  collections: nameList.default(['*']),
  /** Payload field holding a last-modified time, for incremental passes. */
  watermarkField: nonEmpty.optional(),
});

const vercelSource = z.strictObject({
  token: nonEmpty,
  projectId: nonEmpty,
  teamId: nonEmpty.optional(),
  apiUrl: httpUrl.default('https://api.vercel.com'),
});

const renderSource = z.strictObject({
  apiKey: nonEmpty,
  serviceId: nonEmpty,
  apiUrl: httpUrl.default('https://api.render.com/v1'),
});

const awsEndpoints = z.strictObject({
  cognito: httpUrl.optional(),
  dynamodb: httpUrl.optional(),
  s3: httpUrl.optional(),
  rdsData: httpUrl.optional(),
  amplify: httpUrl.optional(),
  secretsManager: httpUrl.optional(),
  ssm: httpUrl.optional(),
  lambda: httpUrl.optional(),
});

const aws = z.strictObject({
  region: awsRegion,
  profile: nonEmpty.optional(),
  /** Explicit keys, for local stacks; otherwise the SDK's default chain (env, profile, role). */
  credentials: z
    .strictObject({ accessKeyId: nonEmpty, secretAccessKey: nonEmpty, sessionToken: nonEmpty.optional() })
    .optional(),
  endpoints: awsEndpoints.default({}),
  /** Per-call timeout and retry budget for every AWS call. */
  requestTimeoutMs: z.number().int().positive().default(30_000),
  maxAttempts: z.number().int().min(1).max(20).default(6),
});

const passwordPolicy = z.strictObject({
  minimumLength: z.number().int().min(6).max(99).default(8),
  requireUppercase: z.boolean().default(false),
  requireLowercase: z.boolean().default(false),
  requireNumbers: z.boolean().default(false),
  requireSymbols: z.boolean().default(false),
});

const cognito = z.strictObject({
  userPoolName: nonEmpty,
  appClientName: nonEmpty.default('engify-app'),
  passwordPolicy: passwordPolicy.default({
    minimumLength: 8,
    requireUppercase: false,
    requireLowercase: false,
    requireNumbers: false,
    requireSymbols: false,
  }),
});

const rdsPg = z.strictObject({
  mode: z.literal('pg'),
  url: postgresUrl,
  /** Create the database named in the URL when it does not exist (needs CREATEDB on the server). */
  createDatabase: z.boolean().default(false),
});

const rdsDataApi = z.strictObject({
  mode: z.literal('data-api'),
  resourceArn: z.string().regex(/^arn:aws[a-z-]*:rds:/, { message: 'expected an RDS cluster ARN (arn:aws:rds:...)' }),
  secretArn: z
    .string()
    .regex(/^arn:aws[a-z-]*:secretsmanager:/, { message: 'expected a Secrets Manager ARN (arn:aws:secretsmanager:...)' }),
  database: nonEmpty,
  createDatabase: z.boolean().default(false),
});

const corsRule = z.strictObject({
  allowedOrigins: nameList,
  allowedMethods: z.array(z.enum(['GET', 'PUT', 'POST', 'DELETE', 'HEAD'])).min(1),
  allowedHeaders: z.array(nonEmpty).default(['*']),
  exposeHeaders: z.array(nonEmpty).default([]),
  maxAgeSeconds: z.number().int().min(0).default(3000),
});

const s3 = z.strictObject({
  bucket: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { message: 'expected an S3 bucket name (3-63 lower-case letters, digits, dots, hyphens)' }),
  cors: z.array(corsRule).default([]),
  versioning: z.boolean().default(true),
  prefix: z.string().default(''),
});

const dynamodb = z.strictObject({
  vectorTable: z
    .string()
    .regex(/^[a-zA-Z0-9_.-]{3,255}$/, { message: 'expected a DynamoDB table name (3-255 of a-z A-Z 0-9 _ . -)' }),
});

const amplify = z.strictObject({
  appName: nonEmpty,
  branch: nonEmpty.default('main'),
  domain: nonEmpty.optional(),
});

const target = z.strictObject({
  aws,
  cognito: cognito.optional(),
  rds: z.discriminatedUnion('mode', [rdsPg, rdsDataApi]).optional(),
  dynamodb: dynamodb.optional(),
  s3: s3.optional(),
  amplify: amplify.optional(),
});

const flags = z.discriminatedUnion('store', [
  z.strictObject({ store: z.literal('file'), path: nonEmpty.default('.engify/flags.json') }),
  z.strictObject({
    store: z.literal('dynamodb'),
    table: z.string().regex(/^[a-zA-Z0-9_.-]{3,255}$/, { message: 'expected a DynamoDB table name' }),
  }),
]);

const sync = z.strictObject({
  /** Largest acceptable lag before cutover is allowed. */
  maxLagSeconds: z.number().positive().default(5),
  /** Seconds between incremental passes for components without a change stream. */
  pollSeconds: z.number().positive().default(30),
  batchSize: z.number().int().positive().max(100_000).default(1000),
});

export const configSchema = z.strictObject({
  $schema: z.string().optional(),
  /** Names resources and tags; lower-case so it fits every provider's naming rules. */
  project: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,39}$/, { message: 'expected 1-40 lower-case letters, digits or hyphens' }),
  stateDir: nonEmpty.default('.engify'),
  source: z.strictObject({
    supabase: supabaseSource.optional(),
    qdrant: qdrantSource.optional(),
    vercel: vercelSource.optional(),
    render: renderSource.optional(),
  }),
  target,
  flags: flags.default({ store: 'file', path: '.engify/flags.json' }),
  sync: sync.default({ maxLagSeconds: 5, pollSeconds: 30, batchSize: 1000 }),
  /** Parallel jobs for data copies. */
  jobs: z.number().int().min(1).max(64).default(4),
});

export type Config = z.infer<typeof configSchema>;
export type AwsConfig = Config['target']['aws'];
export type CognitoConfig = NonNullable<Config['target']['cognito']>;
export type RdsConfig = NonNullable<Config['target']['rds']>;
export type S3Config = NonNullable<Config['target']['s3']>;
export type FlagsConfig = Config['flags'];

/** Paths (dotted) whose values are secrets even when given literally rather than through ${VAR}. */
export const SECRET_FIELDS = [
  'source.supabase.serviceRoleKey',
  'source.supabase.storage.s3SecretAccessKey',
  'source.qdrant.apiKey',
  'source.vercel.token',
  'source.render.apiKey',
  'target.aws.credentials.secretAccessKey',
  'target.aws.credentials.sessionToken',
];
