import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AmplifyStandIn, startAmplifyApi } from '../../src/sandbox/amplify-api.js';
import { type SecretsStandIn, startSecretsStore } from '../../src/sandbox/secrets-store.js';
import { startVercelApi, type VercelProjectSeed, type VercelStandIn } from '../../src/sandbox/vercel-api.js';
import type { ConfigDraft } from '../helpers/e2e-config.js';

// What the hosting.deploy CLI tests share: Vercel, Amplify (with deployments served on a local port) and
// Secrets Manager stand-ins in the test process, a static server standing for the live Vercel
// deployment (sameBody compares with it), and a workspace per test with its own site and repository.

export const VERCEL_TOKEN = 'vercel-token-deploy';
export const GITHUB_TOKEN = 'ghp_deploy_token_never_written_0001';

export interface DeployStack {
  vercel: VercelStandIn;
  amplify: AmplifyStandIn;
  secrets: SecretsStandIn;
  repositories: Record<string, string>;
  /** Serves `dir` as the live source deployment. */
  serveSource(dir: string): Promise<string>;
  close(): Promise<void>;
}

export async function startDeployStack(jobDelayMs = 150): Promise<DeployStack> {
  const repositories: Record<string, string> = {};
  const servers: Server[] = [];
  const [vercel, amplify, secrets] = await Promise.all([
    startVercelApi({ tokens: [VERCEL_TOKEN], projects: [] }),
    startAmplifyApi({ region: 'eu-west-1', jobDelayMs, repositories }),
    startSecretsStore({ region: 'eu-west-1' }),
  ]);
  return {
    vercel,
    amplify,
    secrets,
    repositories,
    async serveSource(dir) {
      const server = createServer((req, res) => {
        const path = new URL(req.url ?? '/', 'http://x').pathname;
        try {
          const body = readFileSync(join(dir, path.endsWith('/') ? `${path}index.html` : path));
          res.writeHead(200, { 'content-type': 'text/html' });
          res.end(body);
        } catch {
          res.writeHead(404);
          res.end('not found');
        }
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      servers.push(server);
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    },
    close: async () => {
      for (const s of servers) s.close();
      await Promise.all([vercel.close(), amplify.close(), secrets.close()]);
    },
  };
}

let counter = 0;

export interface DeployWorkspace {
  dir: string;
  configPath: string;
  project: string;
  appName: string;
  site: string;
  repo: string;
  repoUrl: string;
  env: Record<string, string>;
  config: ConfigDraft;
  write(): void;
}

/** A site (index.html + about/index.html), a repository folder, a Vercel project and a config. */
export function deployWorkspace(
  stack: DeployStack,
  options: { framework?: string | null; hosting?: ConfigDraft; buildCommand?: string } = {},
): DeployWorkspace {
  const n = counter++;
  const project = `dep${process.pid}-${n}`;
  const dir = mkdtempSync(join(tmpdir(), 'engify-deploy-'));
  const site = join(dir, 'dist');
  mkdirSync(join(site, 'about'), { recursive: true });
  writeFileSync(join(site, 'index.html'), `<h1>${project} home</h1>`);
  writeFileSync(join(site, 'about', 'index.html'), `<h1>${project} about</h1>`);
  const repo = join(dir, 'repo');
  mkdirSync(repo);
  const repoUrl = `https://github.com/acme/${project}`;
  stack.repositories[repoUrl] = repo;
  const seed: VercelProjectSeed = {
    id: `prj_${project}`,
    name: `${project}-web`,
    framework: options.framework === undefined ? 'vite' : options.framework,
    buildCommand: options.buildCommand ?? null,
    outputDirectory: 'dist',
    installCommand: null,
    rootDirectory: null,
    nodeVersion: '20.x',
    link: { type: 'github', org: 'acme', repo: project, productionBranch: 'main' },
    env: [{ key: 'PUBLIC_GREETING', value: 'hello', type: 'plain', target: ['production'] }],
    domains: [],
  };
  stack.vercel.projects.push(seed);
  const appName = `${project}-web`;
  const config: ConfigDraft = {
    project,
    stateDir: '.engify',
    source: { vercel: { token: '${TEST_VERCEL_TOKEN}', projectId: seed.id, apiUrl: stack.vercel.url } },
    target: {
      aws: {
        region: 'eu-west-1',
        credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: '${TEST_AWS_SECRET}' },
        endpoints: {
          amplify: stack.amplify.url,
          amplifyHosting: stack.amplify.hostingUrl,
          secretsManager: stack.secrets.url,
          ssm: stack.secrets.url,
        },
        maxAttempts: 2,
        requestTimeoutMs: 5000,
      },
      amplify: { appName },
    },
    hosting: { deploy: 'manual', artifactDir: 'dist', pollIntervalMs: 10, ...options.hosting },
    flags: { store: 'file', path: '.engify/flags.json' },
  };
  const configPath = join(dir, 'migrations.config.json');
  const ws: DeployWorkspace = {
    dir,
    configPath,
    project,
    appName,
    site,
    repo,
    repoUrl,
    env: { TEST_VERCEL_TOKEN: VERCEL_TOKEN, TEST_AWS_SECRET: 'test-secret', TEST_GITHUB_TOKEN: GITHUB_TOKEN },
    config,
    write: () => writeFileSync(configPath, JSON.stringify(config, null, 2)),
  };
  ws.write();
  return ws;
}

export function appOf(stack: DeployStack, name: string) {
  return [...stack.amplify.apps.values()].find((a) => a.app.name === name);
}
