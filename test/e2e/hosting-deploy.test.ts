import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchPage } from '../../src/providers/amplify/branch-site.js';
import { runCli } from '../helpers/cli.js';
import {
  appOf,
  type DeployStack,
  type DeployWorkspace,
  deployWorkspace,
  startDeployStack,
} from './deploy-fixture.js';

// hosting.deploy through the built CLI: a manual zip deploy really served by the Amplify stand-in and
// smoke-checked, a rerun that is a noop, verify and cutover failing when the page stops serving, kill -9 mid-deployment then a rerun, and each bad input.

let stack: DeployStack;
beforeAll(async () => {
  stack = await startDeployStack();
});
afterAll(async () => {
  await stack.close();
});

const cli = (ws: DeployWorkspace, ...args: string[]) =>
  runCli(['--config', ws.configPath, ...args], { env: ws.env });
/** With --verbose: plain output shows the steps' log lines (job states, what was resumed). */
const cliV = (ws: DeployWorkspace, ...args: string[]) =>
  runCli(['--config', ws.configPath, '--verbose', ...args], { env: ws.env });
const out = (r: { stdout: string; stderr: string }) => r.stdout + r.stderr;

async function page(ws: DeployWorkspace, path: string) {
  const app = appOf(stack, ws.appName);
  const url = `https://main.${app?.app.defaultDomain as string}${path}`;
  return fetchPage(url, { via: stack.amplify.hostingUrl });
}

const requests = (op: RegExp) =>
  stack.amplify.requests.filter((r) => op.test(`${r.method} ${r.path}`)).length;

describe('hosting.deploy, manual', () => {
  it('deploys the zip, serves it, verifies, is a noop on rerun; verify and cutover fail when the page stops serving', async () => {
    const ws = deployWorkspace(stack);
    const sourceUrl = await stack.serveSource(ws.site);
    ws.config.hosting.smoke = [
      { path: '/', sameBody: true },
      { path: '/about/', sameBody: true },
      { path: '/missing', status: 404 },
    ];
    ws.config.hosting.compareWith = sourceUrl;
    ws.write();

    const plan = await cli(ws, 'plan');
    expect(plan.code, out(plan)).toBe(0);
    expect(plan.stdout).toMatch(/hosting\.deploy/);
    expect(plan.stdout).toMatch(/zip 2 file\(s\)/);

    const apply = await cliV(ws, 'apply', '--yes');
    expect(apply.code, out(apply)).toBe(0);
    expect(apply.stdout).toMatch(/amplify job 1 succeeded \(manual deploy\)/);
    const home = await page(ws, '/');
    expect(home.status).toBe(200);
    expect((await page(ws, '/about/')).status).toBe(200);
    const served = stack.amplify.servedDir(appOf(stack, ws.appName)?.app.appId as string, 'main') as string;
    expect(readFileSync(join(served, 'index.html'), 'utf8')).toBe(`<h1>${ws.project} home</h1>`);

    const verify = await cli(ws, 'verify', '--phase', '3');
    expect(verify.code, out(verify)).toBe(0);
    expect(verify.stdout).toMatch(/GET https:\/\/main\.d[0-9a-f]+\.amplifyapp\.com\/about\//);

    // A rerun on the same artifact: the plan says noop, and no new deployment is made.
    const before = requests(/POST .*\/deployments$/);
    const again = await cli(ws, 'apply', '--yes');
    expect(again.code, out(again)).toBe(0);
    expect(requests(/POST .*\/deployments$/)).toBe(before);
    const plan2 = await cli(ws, 'plan', '--phase', '3');
    expect(plan2.stdout).toMatch(/already deployed \(job 1\)/);

    // The page stops serving: verify fails on the deploy step's smoke check, and cutover refuses.
    rmSync(join(served, 'index.html'));
    const broken = await cli(ws, 'verify', '--phase', '3');
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(/GET https:\/\/main\.[^ ]+\/\b/);
    const refused = await cli(ws, 'cutover', '--component', 'hosting', '--to', 'target', '--yes');
    expect(refused.code, out(refused)).not.toBe(0);
    expect(out(refused)).toMatch(/hosting\.deploy: GET https:\/\/main\.[^ ]+\//);

    // A changed artifact is deployed as a new job, and then cutover passes.
    writeFileSync(join(ws.site, 'index.html'), `<h1>${ws.project} home v2</h1>`);
    const redeploy = await cliV(ws, 'apply', '--phase', '3', '--yes');
    expect(redeploy.code, out(redeploy)).toBe(0);
    expect(redeploy.stdout).toMatch(/amplify job 2 succeeded/);
    const cut = await cli(ws, 'cutover', '--component', 'hosting', '--to', 'target', '--yes');
    expect(cut.code, out(cut)).toBe(0);
  });

  it('runs the build command into the artifact dir, and a failing build shows its last lines', async () => {
    const ws = deployWorkspace(stack, {
      hosting: {
        artifactDir: 'out',
        build: { command: 'mkdir -p out && echo "<p>built</p>" > out/index.html' },
      },
    });
    const apply = await cli(ws, 'apply', '--yes');
    expect(apply.code, out(apply)).toBe(0);
    expect((await page(ws, '/')).status).toBe(200);

    const bad = deployWorkspace(stack, {
      hosting: {
        artifactDir: 'out',
        build: { command: 'echo compiling; echo "error TS2322: nope" >&2; exit 3' },
      },
    });
    const before = requests(/POST .*\/deployments$/);
    const failed = await cli(bad, 'apply', '--yes');
    expect(failed.code).toBe(1);
    expect(out(failed)).toMatch(/build command `echo compiling.*` failed .*exit code 3/);
    expect(out(failed)).toMatch(/\| error TS2322: nope/);
    expect(requests(/POST .*\/deployments$/)).toBe(before);
  });

  it('refuses a missing or empty artifact dir, and a manual deploy of a server-rendered app, before anything is created', async () => {
    const missing = deployWorkspace(stack, { hosting: { artifactDir: 'nope' } });
    let r = await cli(missing, 'apply', '--yes');
    expect(r.code).toBe(2);
    expect(out(r)).toMatch(/hosting\.artifactDir .*nope does not exist/);
    expect(appOf(stack, missing.appName)).toBeUndefined();

    const empty = deployWorkspace(stack, { hosting: { artifactDir: 'empty' } });
    mkdirSync(join(empty.dir, 'empty'));
    r = await cli(empty, 'plan');
    expect(r.code).toBe(2);
    expect(out(r)).toMatch(/hosting\.artifactDir .*empty is empty/);

    const ssr = deployWorkspace(stack, { framework: 'nextjs' });
    r = await cli(ssr, 'apply', '--yes');
    expect(r.code).toBe(2);
    expect(out(r)).toMatch(/does not support manual deploys for server-side rendered/);
    expect(out(r)).toMatch(/hosting\.deploy to "repository"/);
    expect(appOf(stack, ssr.appName)).toBeUndefined();
  });

  it.each([
    ['after CreateDeployment, before StartDeployment', /"key":"pending","value":\{[^}]*"started":false/, 2],
    ['while the started job runs', /"key":"pending","value":\{[^}]*"started":true/, 1],
  ])('kill -9 %s, then a rerun: the site serves the same build', async (_when, killAt, servedBy) => {
    const ws = deployWorkspace(stack);
    const journal = join(ws.dir, '.engify', 'journal.jsonl');
    const killed = await runCli(['--config', ws.configPath, 'apply', '--yes'], {
      env: ws.env,
      onSpawn: (child) => {
        const watch = setInterval(() => {
          const text = existsSync(journal) ? readFileSync(journal, 'utf8') : '';
          if (killAt.test(text)) {
            child.kill('SIGKILL');
            clearInterval(watch);
          }
        }, 1);
        child.on('exit', () => clearInterval(watch));
      },
    });
    expect(killed.signal).toBe('SIGKILL');
    const rerun = await cliV(ws, 'apply', '--yes');
    expect(rerun.code, out(rerun)).toBe(0);
    // Started: the same job is awaited. Not started: a new one (the unstarted one expires by itself).
    if (servedBy === 1)
      expect(out(rerun)).toMatch(/job 1 of the interrupted run is still there|already deployed/);
    expect(out(rerun)).not.toMatch(new RegExp(`amplify job ${servedBy + 1}`));
    const home = await page(ws, '/');
    expect(home.status).toBe(200);
    const appId = appOf(stack, ws.appName)?.app.appId as string;
    expect(stack.amplify.apps.get(appId)?.branches.get('main')?.activeJobId).toBe(String(servedBy));
    const verify = await cli(ws, 'verify');
    expect(verify.code, out(verify)).toBe(0);
    const rollback = await cli(ws, 'rollback', '--yes');
    expect(rollback.code, out(rollback)).toBe(0);
    expect(appOf(stack, ws.appName)).toBeUndefined();
  });
});
