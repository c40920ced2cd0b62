import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchPage } from '../../src/providers/amplify/branch-site.js';
import { runCli } from '../helpers/cli.js';
import {
  appOf,
  type DeployStack,
  type DeployWorkspace,
  deployWorkspace,
  GITHUB_TOKEN,
  startDeployStack,
} from './deploy-fixture.js';

// hosting.deploy's repository way through the built CLI: the app connected to the repository the Vercel
// project is linked to (the token reaches Amplify once and is written nowhere), a RELEASE job built in
// the folder standing in for the clone and served, and a failed job naming its log URL.

let stack: DeployStack;
beforeAll(async () => {
  stack = await startDeployStack();
});
afterAll(async () => {
  await stack.close();
});

const cli = (ws: DeployWorkspace, ...args: string[]) =>
  runCli(['--config', ws.configPath, ...args], { env: ws.env });
const out = (r: { stdout: string; stderr: string }) => r.stdout + r.stderr;

async function page(ws: DeployWorkspace, path: string) {
  const app = appOf(stack, ws.appName);
  const url = `https://main.${app?.app.defaultDomain as string}${path}`;
  return fetchPage(url, { via: stack.amplify.hostingUrl });
}

describe('hosting.deploy, repository', () => {
  it('connects the linked repository with the token (never written), builds it with a RELEASE job and serves it', async () => {
    const ws = deployWorkspace(stack, {
      buildCommand: 'mkdir -p dist && echo "<p>from git</p>" > dist/index.html',
      hosting: {
        deploy: 'repository',
        artifactDir: undefined,
        repository: { token: '${TEST_GITHUB_TOKEN}' },
      },
    });
    const plan = await cli(ws, 'plan');
    expect(plan.code, out(plan)).toBe(0);
    expect(plan.stdout).toContain(`connect the app to ${ws.repoUrl}`);
    const apply = await cli(ws, 'apply', '--yes');
    expect(apply.code, out(apply)).toBe(0);
    expect((await page(ws, '/')).status).toBe(200);
    const record = appOf(stack, ws.appName);
    expect(record?.app.repository).toBe(ws.repoUrl);
    expect(JSON.stringify(record?.app)).not.toContain(GITHUB_TOKEN);
    const update = stack.amplify.requests.find((r) => r.body.includes(ws.repoUrl) && r.method === 'POST');
    expect(update?.body).toContain(GITHUB_TOKEN);
    for (const f of ['journal.jsonl'])
      expect(readFileSync(join(ws.dir, '.engify', f), 'utf8')).not.toContain(GITHUB_TOKEN);
    expect(out(apply) + out(plan)).not.toContain(GITHUB_TOKEN);
    const verify = await cli(ws, 'verify');
    expect(verify.code, out(verify)).toBe(0);
    const again = await cli(ws, 'apply', '--yes');
    expect(again.code).toBe(0);
    expect(stack.amplify.jobs.size).toBeGreaterThan(0);
    expect(
      [...stack.amplify.jobs.keys()].filter((k) => k.startsWith(record?.app.appId as string)),
    ).toHaveLength(1);
  });

  it('a failed job names its log URL, and the log holds the build output', async () => {
    const ws = deployWorkspace(stack, {
      buildCommand: 'echo "Module not found: ./missing"; exit 1',
      hosting: {
        deploy: 'repository',
        artifactDir: undefined,
        repository: { token: '${TEST_GITHUB_TOKEN}' },
      },
    });
    const apply = await cli(ws, 'apply', '--yes');
    expect(apply.code).toBe(1);
    const url = out(apply).match(/its log: (http\S+?)\.?\s/)?.[1];
    expect(url, out(apply)).toBeDefined();
    const log = await (await fetch(url as string)).text();
    expect(log).toContain('Module not found: ./missing');
  });
});
