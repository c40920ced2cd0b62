import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { mulberry32 } from '../helpers/seeded-random.js';
import { type BackendWorld, backendEnv, backendWorkspace, startBackendWorld } from './backend-fixture.js';

// kill -9 at seeded journal points inside backend.* during `apply --phase 3`, then a rerun: the end
// state (role and its policies, secret, function code and settings, API with its parts) equals a clean
// run's, and rollback removes all of it, including what was created just before the kill.

let world: BackendWorld;
beforeAll(async () => {
  const stack = inject('stack');
  world = await startBackendWorld(stack.postgresUrl, stack.endpoints.cognito);
});
afterAll(async () => {
  await world?.close();
});

function observe(project: string) {
  const role = world.aws.iam.roles.get(`${project}-api-exec`);
  const fn = world.aws.lambda.functions.get(`${project}-api`);
  const apis = [...world.aws.apigateway.apis.values()].filter((a) => a.api.name === `${project}-api`);
  const env = {
    ...((fn?.config.Environment as { Variables?: Record<string, string> } | undefined)?.Variables ?? {}),
  };
  delete env.ENGIFY_SECRET_ID;
  return {
    role: role ? { inline: [...role.inline.keys()], attached: [...role.attached] } : null,
    secrets: [...world.secrets.secrets.values()].filter(
      (s) => s.name === `engify/${project}/lambda/${project}-api` && s.deletedAt === undefined,
    ).length,
    function: fn
      ? {
          sha: fn.config.CodeSha256,
          env,
          layers: fn.config.Layers,
          state: fn.config.State,
          permissions: fn.statements.length,
        }
      : null,
    apis: apis.map((a) => ({
      integrations: a.integrations.size,
      authorizers: a.authorizers.size,
      routes: [...a.routes.values()].map((r) => `${r.routeKey}:${r.authorizationType}`).sort(),
      stages: [...a.stages.keys()],
    })),
  };
}

const lines = (path: string) =>
  existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n').filter(Boolean) : [];

describe('backend: kill -9 during backend.*, then rerun', () => {
  it('ends in the state of a clean run, over seeded trials', async () => {
    const clean = backendWorkspace(world);
    const env = backendEnv(clean);
    const journal = join(clean.dir, '.engify', 'journal.jsonl');
    expect(
      (await runCli(['--config', clean.configPath, 'apply', '--phase', '1', '--yes'], { env })).code,
    ).toBe(0);
    const before = lines(journal).length;
    const run = await runCli(['--config', clean.configPath, 'apply', '--phase', '3', '--yes'], { env });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    // Journal positions (1-based, counted from the start of phase 3) that belong to backend.* steps.
    const points = lines(journal)
      .slice(before)
      .map((l, i) => ({ i: i + 1, step: (JSON.parse(l) as { stepId?: string }).stepId ?? '' }))
      .filter((r) => r.step.startsWith('backend.'))
      .map((r) => r.i);
    expect(points.length).toBeGreaterThan(8);
    const expected = observe(clean.project);
    expect(expected.apis).toHaveLength(1);
    expect(expected.function?.permissions).toBe(1);
    const sha = expected.function?.sha;

    const random = mulberry32(20260614);
    const trials = 4;
    let midStep = 0;
    for (let t = 0; t < trials; t++) {
      const ws = backendWorkspace(world);
      const wenv = backendEnv(ws);
      const wj = join(ws.dir, '.engify', 'journal.jsonl');
      expect(
        (await runCli(['--config', ws.configPath, 'apply', '--phase', '1', '--yes'], { env: wenv })).code,
      ).toBe(0);
      const start = lines(wj).length;
      const killAt = start + (points[Math.floor(random() * points.length)] as number);
      const killed = await runCli(['--config', ws.configPath, 'apply', '--phase', '3', '--yes'], {
        env: wenv,
        onSpawn: (child) => {
          const watch = setInterval(() => {
            if (lines(wj).length >= killAt) {
              child.kill('SIGKILL');
              clearInterval(watch);
            }
          }, 1);
          child.on('exit', () => clearInterval(watch));
        },
      });
      expect(killed.signal).toBe('SIGKILL');
      const text = lines(wj).map((l) => JSON.parse(l) as { type: string; stepId?: string });
      const open = new Set<string>();
      for (const r of text)
        if (r.type === 'start') open.add(r.stepId ?? '');
        else if (r.type === 'success') open.delete(r.stepId ?? '');
      if ([...open].some((s) => s.startsWith('backend.'))) midStep++;

      let rerun = await runCli(['--config', ws.configPath, 'apply', '--phase', '3', '--yes'], { env: wenv });
      if (rerun.code === 3)
        rerun = await runCli(
          ['--config', ws.configPath, 'apply', '--phase', '3', '--yes', '--force-unlock'],
          { env: wenv },
        );
      expect(rerun.code, rerun.stdout + rerun.stderr).toBe(0);
      const state = observe(ws.project);
      expect(state.function?.sha).toBe(sha);
      expect({ ...state, function: { ...state.function, env: undefined } }).toEqual({
        ...expected,
        function: { ...expected.function, env: undefined },
      });
      expect(Object.keys(state.function?.env ?? {}).sort()).toEqual(
        Object.keys(expected.function?.env ?? {}).sort(),
      );

      const rollback = await runCli(['--config', ws.configPath, 'rollback', '--yes'], { env: wenv });
      expect(rollback.code, rollback.stdout + rollback.stderr).toBe(0);
      expect(observe(ws.project)).toEqual({ role: null, secrets: 0, function: null, apis: [] });
    }
    expect(midStep).toBeGreaterThan(0);
    await runCli(['--config', clean.configPath, 'rollback', '--yes'], { env });
  }, 300_000);
});
