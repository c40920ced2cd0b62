import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AmplifyStandIn, startAmplifyApi } from './amplify-api.js';
import { type CognitoFront, startCognitoFront } from './cognito-import-jobs.js';
import { type DynamoDbVectorFront, startDynamoDbVectorFront } from './dynamodb-vector-front.js';
import { type QdrantStandIn, startQdrantStandIn } from './qdrant-server.js';
import { type SecretsStandIn, startSecretsStore } from './secrets-store.js';
import { type LocalStack, startLocalStack } from './stack.js';
import { type StorageStandIn, startSupabaseStorageApi } from './supabase-storage-api.js';
import { startVercelApi, type VercelStandIn } from './vercel-api.js';

// The local stack of `demo` and `sandbox up`: the plain LocalStack (PostgreSQL 15, dynalite, s3rver,
// cognito-local) plus the stand-ins for what has no local server: DynamoDB vector indexes (a front for
// dynalite), Cognito import jobs (a front for cognito-local), Qdrant, the Supabase Storage API, Vercel,
// Amplify, Secrets Manager and SSM. Every AWS client of the demo goes through the fronts.

export const DEMO_REGION = 'us-east-1';
/** The Git repository the demo's Vercel project is linked to; a local folder stands in for its clone. */
export const DEMO_REPOSITORY = 'https://github.com/engify-demo/chatbot-builder';
export const DEMO_GITHUB_TOKEN = 'ghp_engify_demo_token';

/** A tiny "Next.js" project whose build writes the page Amplify serves (.next, the build spec's output). */
function demoRepository(): string {
  const dir = mkdtempSync(join(tmpdir(), 'engify-demo-repo-'));
  writeFileSync(
    join(dir, 'build.mjs'),
    [
      "import { mkdirSync, writeFileSync } from 'node:fs';",
      "mkdirSync('.next', { recursive: true });",
      "writeFileSync('.next/index.html', '<!doctype html><title>Chatbot Builder</title><h1>Chatbot Builder</h1><p>Served by AWS Amplify</p>');",
    ].join('\n'),
  );
  return dir;
}

/** Secrets of the seeded source side, fresh per run; the config reads them through ${VAR}. */
export interface DemoSecrets {
  supabaseServiceKey: string;
  supabaseAnonKey: string;
  qdrantApiKey: string;
  vercelToken: string;
}

export interface DemoEndpoints {
  postgres: string;
  dynamodb: string;
  dynalite: string;
  s3: string;
  cognito: string;
  cognitoLocal: string;
  qdrant: string;
  supabase: string;
  vercel: string;
  amplify: string;
  /** Where the Amplify stand-in serves branch URLs (Host: <branch>.<defaultDomain>). */
  amplifyHosting: string;
  secretsManager: string;
  ssm: string;
}

export interface DemoStack {
  local: LocalStack;
  dynamodb: DynamoDbVectorFront;
  cognito: CognitoFront;
  qdrant: QdrantStandIn;
  storage: StorageStandIn;
  vercel: VercelStandIn;
  amplify: AmplifyStandIn;
  secrets: SecretsStandIn;
  keys: DemoSecrets;
  endpoints: DemoEndpoints;
  /** Every port this stack listens on (for checking that stop() really closed them). */
  ports(): number[];
  stop(): Promise<void>;
}

const token = (prefix: string) => `${prefix}${randomBytes(12).toString('hex')}`;

export async function startDemoStack(): Promise<DemoStack> {
  const keys: DemoSecrets = {
    supabaseServiceKey: token('sb-service-'),
    supabaseAnonKey: token('sb-anon-'),
    qdrantApiKey: token('qd-'),
    vercelToken: token('vc-'),
  };
  const stops: (() => Promise<void>)[] = [];
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    for (const s of stops.splice(0).reverse()) await s().catch(() => undefined);
  };
  try {
    const repository = demoRepository();
    stops.push(async () => rmSync(repository, { recursive: true, force: true }));
    const local = await startLocalStack();
    stops.push(() => local.stop());
    const [dynamodb, cognito, qdrant, storage, vercel, amplify, secrets] = await Promise.all([
      startDynamoDbVectorFront({ upstream: local.endpoints.dynamodb }),
      startCognitoFront({ upstream: local.endpoints.cognito }),
      startQdrantStandIn({ apiKey: keys.qdrantApiKey }),
      startSupabaseStorageApi({ serviceKey: keys.supabaseServiceKey }),
      // The project is pushed by the seed: its env vars name the endpoints started here.
      startVercelApi({ tokens: [keys.vercelToken], projects: [] }),
      startAmplifyApi({
        region: DEMO_REGION,
        jobDelayMs: 50,
        repositories: { [DEMO_REPOSITORY]: repository },
      }),
      startSecretsStore({ region: DEMO_REGION }),
    ]);
    stops.push(
      () => dynamodb.stop(),
      () => cognito.stop(),
      () => qdrant.stop(),
      () => storage.stop(),
      () => vercel.close(),
      () => amplify.close(),
      () => secrets.close(),
    );
    const endpoints: DemoEndpoints = {
      postgres: local.postgres.url('postgres'),
      dynamodb: dynamodb.url,
      dynalite: local.endpoints.dynamodb,
      s3: local.endpoints.s3,
      cognito: cognito.url,
      cognitoLocal: local.endpoints.cognito,
      qdrant: qdrant.url,
      supabase: storage.url,
      vercel: vercel.url,
      amplify: amplify.url,
      amplifyHosting: amplify.hostingUrl,
      secretsManager: secrets.url,
      ssm: secrets.url,
    };
    const ports = () => [
      local.postgres.port,
      ...Object.entries(endpoints)
        .filter(([k]) => k !== 'postgres')
        .map(([, u]) => Number(new URL(u).port)),
    ];
    return {
      local,
      dynamodb,
      cognito,
      qdrant,
      storage,
      vercel,
      amplify,
      secrets,
      keys,
      endpoints,
      ports,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
