import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AmplifyStandIn, startAmplifyApi } from './amplify-api.js';
import { BACKEND_APP_COMMANDS, writeBackendApp } from './backend-app.js';
import { type BackendStandIns, startBackendStandIns } from './backend-stand-ins.js';
import { type CognitoFront, startCognitoFront } from './cognito-import-jobs.js';
import { type DmsStandIn, startDmsStandIn } from './dms-api.js';
import { type DynamoDbVectorFront, startDynamoDbVectorFront } from './dynamodb-vector-front.js';
import { freePort } from './free-port.js';
import type { RunningStandIn } from './http-stand-in.js';
import { type QdrantStandIn, startQdrantStandIn } from './qdrant-server.js';
import { type RdsStandIn, startRdsApi } from './rds-api.js';
import { startRenderApi } from './render-api.js';
import { type Route53StandIn, startRoute53Api } from './route53-api.js';
import { type SecretsStandIn, startSecretsStore } from './secrets-store.js';
import { type LocalStack, startLocalStack } from './stack.js';
import { type StorageStandIn, startSupabaseStorageApi } from './supabase-storage-api.js';
import { startVercelApi, type VercelStandIn } from './vercel-api.js';

// The local stack of `demo` and `sandbox up`: the plain LocalStack (PostgreSQL 15, dynalite, s3rver,
// cognito-local) plus the stand-ins for what has no local server: DynamoDB vector indexes (a front for
// dynalite), Cognito import jobs (a front for cognito-local), Qdrant, the Supabase Storage API, Vercel,
// Amplify, Secrets Manager and SSM. Every AWS client of the demo goes through the fronts.

export const DEMO_REGION = 'us-east-1';
export const DEMO_RENDER_SERVICE = 'srv-chatbot-api';
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

/**
 * The demo domain's public zone: hosting.domain associates the apex of the Vercel project's domain
 * (chatbot.engify-demo.dev -> engify-demo.dev), and its names point at Vercel before the migration.
 */
export const DEMO_ZONE = 'engify-demo.dev';
export const DEMO_DNS_NAMES = [`chatbot.${DEMO_ZONE}`, `www.chatbot.${DEMO_ZONE}`];

function seedDemoZone(route53: Route53StandIn): string {
  const zone = route53.addZone(DEMO_ZONE);
  for (const name of DEMO_DNS_NAMES)
    route53.put(zone, { name, type: 'CNAME', ttl: 3600, values: ['cname.vercel-dns.com'] });
  return zone;
}

/** Secrets of the seeded source side, fresh per run; the config reads them through ${VAR}. */
export interface DemoSecrets {
  supabaseServiceKey: string;
  supabaseAnonKey: string;
  qdrantApiKey: string;
  vercelToken: string;
  renderKey: string;
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
  route53: string;
  /** The RDS control plane: db.instance provisions the target database through it. */
  rds: string;
  render: string;
  renderApp: string;
  lambda: string;
  apigateway: string;
  iam: string;
  cloudwatch: string;
  sns: string;
  /** The DMS stand-in (it also answers the CloudWatch CDC latency metrics of its replications). */
  dms: string;
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
  dms: DmsStandIn;
  /** Its instances run on real PostgreSQL clusters of their own; its managed secrets go to `secrets`. */
  rds: RdsStandIn;
  /** Holds the demo domain's public zone, with the records pointing at "Vercel" before the migration. */
  route53: Route53StandIn;
  route53Zone: string;
  render: RunningStandIn;
  backend: BackendStandIns;
  /** The Render backend's checkout (backend.sourceDir). */
  backendSourceDir: string;
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
    renderKey: token('rnd_'),
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
    const [dynamodb, cognito, qdrant, storage, vercel, amplify, secrets, route53] = await Promise.all([
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
      startRoute53Api(),
    ]);
    const route53Zone = seedDemoZone(route53);
    // The provisioned instance is "creating" for two polls, then available on its own cluster.
    const rds = await startRdsApi({ region: DEMO_REGION, secrets, creatingPolls: 2 });
    stops.push(() => rds.close());
    stops.push(
      () => dynamodb.stop(),
      () => cognito.stop(),
      () => qdrant.stop(),
      () => storage.stop(),
      () => vercel.close(),
      () => amplify.close(),
      () => secrets.close(),
      () => route53.close(),
    );
    // The Render backend: the Python app running as Render runs it (reading the Supabase database),
    // and the Render API describing it; Lambda, API Gateway and IAM stand-ins to move it to.
    const backendSourceDir = writeBackendApp(join(local.root, 'chatbot-api'));
    const appPort = await freePort();
    const renderApp = `http://127.0.0.1:${appPort}`;
    const sourceDbUrl = local.postgres.url('supabase');
    const app: ChildProcess = spawn('python3', ['app.py'], {
      cwd: backendSourceDir,
      env: {
        PATH: process.env.PATH,
        PORT: String(appPort),
        DATABASE_URL: sourceDbUrl,
        SERVICE_NAME: 'chatbot-api',
      },
      stdio: 'ignore',
    });
    stops.push(async () => {
      app.kill('SIGKILL');
    });
    const render = await startRenderApi({
      apiKeys: [keys.renderKey],
      services: [
        {
          id: DEMO_RENDER_SERVICE,
          name: 'chatbot-api',
          type: 'web_service',
          runtime: 'python',
          region: 'oregon',
          repo: 'https://github.com/example/chatbot-api',
          ...BACKEND_APP_COMMANDS,
          url: renderApp,
          env: [
            { key: 'DATABASE_URL', value: sourceDbUrl },
            { key: 'SERVICE_NAME', value: 'chatbot-api' },
          ],
          customDomains: [],
        },
      ],
    });
    stops.push(() => render.close());
    const backend = await startBackendStandIns({
      region: DEMO_REGION,
      cognitoUrl: local.endpoints.cognito,
      secrets,
    });
    stops.push(() => backend.close());
    // DMS reads its endpoints' credentials from Secrets Manager: the stand-in reads the secrets stand-in's.
    const dms = await startDmsStandIn({
      region: DEMO_REGION,
      secretValue: (id) => [...secrets.secrets.values()].find((x) => x.arn === id || x.name === id)?.value,
    });
    stops.push(() => dms.close());
    // DMS publishes its replications' CDC latency to CloudWatch; here the CloudWatch stand-in asks it.
    local.cloudwatch.metricSource('AWS/DMS', (q) => dms.metricValues(q));
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
      route53: route53.url,
      rds: rds.url,
      render: `${render.url}/v1`,
      renderApp,
      lambda: backend.lambda.url,
      apigateway: backend.apigateway.url,
      iam: backend.iam.url,
      cloudwatch: local.endpoints.cloudwatch,
      sns: local.endpoints.sns,
      dms: dms.url,
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
      dms,
      rds,
      route53,
      route53Zone,
      render,
      backend,
      backendSourceDir,
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
