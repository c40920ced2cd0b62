import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveTargetUrl } from '../components/db/target-db.js';
import { checklist } from '../components/registry.js';
import { EngifyError, ExitCode } from '../core/errors.js';
import { loadConfig } from '../core/load-config.js';
import { messages } from '../core/messages.js';
import { readJournal } from '../state/journal.js';
import { applyCommand } from './apply.js';
import { backupCommand } from './backup.js';
import { type CommandIo, guarded } from './common.js';
import { cutoverCommand } from './cutover.js';
import { planCommand } from './plan.js';
import { rollbackCommand } from './rollback.js';
import { statusCommand } from './status.js';
import { syncCommand } from './sync.js';
import { verifyCommand } from './verify.js';

// The whole story on the embedded stack, through the same command functions a user runs:
// seed the sources, plan, apply phases 1-3 (phase 1 twice: the second is a noop), verify, status,
// sign in with the old passwords, sync a live write, cut every component over, write on AWS, roll back
// to the old side (that write included), undo the migration, verify the rollback, say what moved.

const VECTOR_STEPS = ['vectors.table', 'vectors.copy'];

type Stage = [title: string, run: () => Promise<ExitCode>];

async function withPg<T>(url: string, work: (c: import('pg').Client) => Promise<T>): Promise<T> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Registered steps of the checklist that the vectors part of the demo needs and does not have. */
export function missingVectorSteps(): string[] {
  const ids = new Set(checklist.map((s) => s.id));
  return VECTOR_STEPS.filter((id) => !ids.has(id));
}

export async function demoCommand(io: CommandIo, options: { keep?: boolean }): Promise<ExitCode> {
  return guarded(io, async () => {
    const { findPostgresBin } = await import('../sandbox/postgres-cluster.js');
    if (!findPostgresBin())
      throw new EngifyError({
        code: 'SANDBOX_NO_POSTGRES',
        kind: 'config',
        message: messages.sandbox.noPostgres,
      });
    const started = Date.now();
    io.renderer.info(messages.demo.starting);
    const { startDemoStack, DEMO_DNS_NAMES } = await import('../sandbox/demo-stack.js');
    const { seedDemo } = await import('../sandbox/demo-seed.js');
    const { writeDemoConfig } = await import('../sandbox/sandbox-config.js');
    const { demoBranchPage } = await import('../sandbox/demo-site.js');
    const { signIn, signInToken } = await import('../sandbox/demo-signin.js');
    const { takeCensus } = await import('../sandbox/demo-census.js');
    const stack = await startDemoStack();
    const dir = mkdtempSync(join(tmpdir(), 'engify-demo-'));
    // Ctrl-C (or a kill) mid-demo still stops every server and child this run started.
    const onSignal = (signal: NodeJS.Signals) => {
      io.renderer.info(messages.demo.interrupted(signal));
      void stack.stop().finally(() => {
        rmSync(dir, { recursive: true, force: true });
        process.exit(130);
      });
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    let succeeded = false;
    try {
      const missing = missingVectorSteps();
      const config = writeDemoConfig(dir, stack, { vectors: missing.length === 0 });
      const sub: CommandIo = { ...io, global: { ...io.global, config } };
      io.renderer.info(messages.demo.stackReady(config, { ...stack.endpoints }));
      const seeded = await seedDemo(stack);
      io.renderer.info(messages.demo.seeded(seeded));
      if (missing.length > 0) io.renderer.warn(messages.demo.vectorsMissing(missing));
      else io.renderer.info(messages.demo.vectorsOn);
      const loaded = loadConfig(config);
      const journal = () => readJournal(join(loaded.stateDir, 'journal.jsonl'));
      let census: Awaited<ReturnType<typeof takeCensus>> | undefined;
      const output = (step: string, key: string) => {
        const r = journal().find((x) => x.type === 'output' && x.stepId === step && x.key === key);
        return r?.type === 'output' && typeof r.value === 'string' ? r.value : undefined;
      };

      const sourceUrl = loaded.config.source.supabase?.dbUrl ?? '';
      // A provisioned instance's URL exists only once db.instance ran: resolved when a stage needs it.
      const targetUrl = async () => (await resolveTargetUrl(loaded.config, journal())) ?? '';
      const writeRow = async (url: string, content: string): Promise<ExitCode> => {
        await withPg(url, (c) =>
          c.query(
            "INSERT INTO public.messages (bot_id, role, content) SELECT min(id), 'user', $1 FROM public.bots",
            [content],
          ),
        );
        io.renderer.info(messages.demo.wrote(content, new URL(url).pathname.slice(1)));
        return ExitCode.ok;
      };
      const expectRow = async (url: string, content: string): Promise<ExitCode> => {
        const r = await withPg(url, (c) =>
          c.query('SELECT count(*)::int AS n FROM public.messages WHERE content = $1', [content]),
        );
        const n = (r.rows[0] as { n: number } | undefined)?.n ?? 0;
        io.renderer.info(messages.demo.found(content, new URL(url).pathname.slice(1), n));
        return n === 1 ? ExitCode.ok : ExitCode.failed;
      };

      // db.instance made the target database: a real PostgreSQL server behind the RDS stand-in, reached
      // through its endpoint and the managed secret (which no config or journal line holds).
      const instanceId = () =>
        loaded.config.target.rds?.mode === 'pg' ? (loaded.config.target.rds.instance?.identifier ?? '') : '';
      const showInstance = async (): Promise<ExitCode> => {
        const i = stack.rds.instances.get(instanceId());
        const url = await targetUrl();
        if (!i || i.status !== 'available' || !url) return ExitCode.failed;
        const version = await withPg(url, (c) =>
          c.query("SELECT current_setting('server_version') AS v, current_setting('wal_level') AS w"),
        );
        const row = version.rows[0] as { v: string; w: string };
        io.renderer.info(
          messages.demo.instance(i.identifier, i.instanceClass, `${new URL(url).host}`, row.v, row.w),
        );
        return row.w === 'logical' ? ExitCode.ok : ExitCode.failed;
      };
      const showInstanceGone = async (): Promise<ExitCode> => {
        const snapshot = stack.rds.snapshots.find((x) => x.instance === instanceId());
        io.renderer.info(messages.demo.instanceGone(instanceId(), snapshot?.identifier));
        return !stack.rds.instances.has(instanceId()) && snapshot ? ExitCode.ok : ExitCode.failed;
      };

      const showSignIns = async (): Promise<ExitCode> => {
        io.renderer.info(messages.demo.signInTitle);
        const clientId = output('auth.pool', 'appClientId');
        if (!clientId) {
          io.renderer.info(messages.demo.signInNoClient);
          return ExitCode.failed;
        }
        const users = loaded.config.auth?.verifySignIn ?? [];
        let failed = 0;
        for (const u of users) {
          const r = await signIn(
            stack.endpoints.cognito,
            loaded.config.target.aws.region,
            clientId,
            u.email,
            u.password,
          );
          io.renderer.info(messages.demo.signIn(r.email, r.ok, r.detail));
          if (!r.ok) failed++;
        }
        return failed === 0 && users.length > 0 ? ExitCode.ok : ExitCode.failed;
      };
      // A migrated user signs in on Cognito and calls the moved backend through the gateway; the same
      // call without a token is refused by the JWT authorizer.
      const showBackend = async (): Promise<ExitCode> => {
        const url = output('backend.api', 'url');
        const clientId = output('auth.pool', 'appClientId');
        const user = loaded.config.auth?.verifySignIn[0];
        if (!url || !clientId || !user) return ExitCode.failed;
        io.renderer.info(messages.backend.demoTitle);
        const health = await fetch(`${url}/api/health`);
        io.renderer.info(
          messages.backend.demoCall('GET /api/health (public)', health.status, await health.text()),
        );
        const anon = await fetch(`${url}/api/bots`);
        io.renderer.info(
          messages.backend.demoCall('GET /api/bots without a token', anon.status, await anon.text()),
        );
        const token = await signInToken(
          stack.endpoints.cognito,
          loaded.config.target.aws.region,
          clientId,
          user.email,
          user.password,
        );
        const signed = await fetch(`${url}/api/bots`, {
          headers: token ? { authorization: `Bearer ${token}` } : {},
        });
        const body = (await signed.json().catch(() => ({}))) as {
          bots?: { slug: string }[];
          caller?: string;
        };
        io.renderer.info(
          messages.backend.demoCall(
            `GET /api/bots signed in as ${user.email}`,
            signed.status,
            `${body.bots?.length ?? 0} bots from RDS (${(body.bots ?? []).map((b) => b.slug).join(', ')}), caller ${body.caller ?? '?'}`,
          ),
        );
        return health.status === 200 &&
          anon.status === 401 &&
          signed.status === 200 &&
          (body.bots?.length ?? 0) > 0
          ? ExitCode.ok
          : ExitCode.failed;
      };
      const simulateDns = async (): Promise<ExitCode> => {
        const domains: string[] = [];
        for (const [appId, app] of stack.amplify.apps) {
          for (const name of app.domains.keys()) {
            stack.amplify.setDomainStatus(appId, name, 'AVAILABLE');
            domains.push(name);
          }
        }
        if (domains.length > 0) io.renderer.info(messages.demo.dnsSimulated(domains));
        return ExitCode.ok;
      };

      // The demo domain as a resolver reading the Route 53 stand-in sees it.
      const showDns = (want: RegExp) => async (): Promise<ExitCode> => {
        let ok = true;
        for (const name of DEMO_DNS_NAMES) {
          const answer = stack.route53.resolve(name);
          io.renderer.info(messages.demo.dnsResolves(name, answer));
          ok &&= answer.some((a) => want.test(a));
        }
        return ok ? ExitCode.ok : ExitCode.failed;
      };

      // What `sync` published to CloudWatch (the stand-in), then sync "stopped": the stand-in's clock
      // moves 11 minutes and the no-data alarm goes OK -> ALARM.
      const showMonitoring = async (): Promise<ExitCode> => {
        const cw = stack.local.cloudwatch;
        const mm = messages.monitoring;
        const ns = loaded.config.monitoring?.namespace ?? 'EngifyMigrate';
        const calls = cw.calls('PutMetricData');
        const datums = calls.reduce(
          (n, r) => n + ((JSON.parse(r.body) as { MetricData?: unknown[] }).MetricData?.length ?? 0),
          0,
        );
        io.renderer.info(mm.demoPublished(calls.length, datums, ns));
        for (const component of ['db', 'auth', 'files', 'vectors'])
          for (const metric of ['LagSeconds', 'ChangesAppliedPerSecond', 'Errors']) {
            const points = cw.datapoints(ns, metric, {
              Project: loaded.config.project,
              Component: component,
            });
            const last = points.at(-1);
            if (last)
              io.renderer.info(mm.demoMetric(component, metric, `max ${last.max}, ${last.count} sample(s)`));
          }
        const noData = `engify-${loaded.config.project}-sync-no-data`;
        const before = cw.alarms.get(noData)?.state ?? 'missing';
        for (const [name, a] of cw.alarms) io.renderer.info(mm.demoAlarm(name, a.state));
        io.renderer.info(mm.demoStopped(11));
        cw.advance(11 * 60_000);
        const after = cw.alarms.get(noData)?.state ?? 'missing';
        io.renderer.info(mm.demoChanged(noData, before, after));
        return before === 'OK' && after === 'ALARM' ? ExitCode.ok : ExitCode.failed;
      };

      const stages: Stage[] = [
        ['plan', () => planCommand(sub, {})],
        ['apply --phase 1', () => applyCommand(sub, undefined, { phase: '1', yes: true })],
        ['(the RDS instance db.instance provisioned)', showInstance],
        [
          'apply --phase 1 (again: nothing to do)',
          () => applyCommand(sub, undefined, { phase: '1', yes: true }),
        ],
        [
          '(a bucket for backups)',
          async () => {
            const { createDemoBackupBucket } = await import('../sandbox/demo-backup-bucket.js');
            await createDemoBackupBucket(stack.endpoints.s3, loaded.config.backup?.bucket ?? '');
            return ExitCode.ok;
          },
        ],
        ['apply --phase 2', () => applyCommand(sub, undefined, { phase: '2', yes: true })],
        ['apply --phase 3', () => applyCommand(sub, undefined, { phase: '3', yes: true })],
        [
          '(the branch URL serves the page)',
          async () => {
            const a = loaded.config.target.amplify;
            const page = a ? await demoBranchPage(stack, a.appName, a.branch) : undefined;
            io.renderer.info(messages.demo.branchPage(page));
            return page?.status === 200 ? ExitCode.ok : ExitCode.failed;
          },
        ],
        ['apply (again, every phase: nothing to do)', () => applyCommand(sub, undefined, { yes: true })],
        ['(DNS)', simulateDns],
        ['verify', () => verifyCommand(sub, {})],
        ['status', () => statusCommand(sub)],
        ['sign-in', showSignIns],
        ['(backend through the gateway)', showBackend],
        // What moved, counted on the target right after the migration (before the live writes below).
        [
          '(census)',
          async () => {
            census = await takeCensus(
              stack,
              loaded.config,
              output('auth.pool', 'userPoolId'),
              await targetUrl(),
            );
            return ExitCode.ok;
          },
        ],
        [
          '(a write on the old side while both are live)',
          () => writeRow(sourceUrl, 'written on Supabase while both were live'),
        ],
        ['sync --once', () => syncCommand(sub, { once: true })],
        [
          '(the write is on AWS)',
          async () => expectRow(await targetUrl(), 'written on Supabase while both were live'),
        ],
        ['(the metrics sync published, and an alarm when sync stops)', showMonitoring],
        // Reverse sync will write into the old database after cutover: back it up first (cutover asks).
        ['backup (before cutover)', () => backupCommand(sub, {})],
        ...(
          ['db', 'auth', ...(missing.length === 0 ? ['vectors'] : []), 'files', 'hosting', 'backend'] as const
        ).map(
          (component): Stage => [
            `cutover --component ${component} --to target`,
            () => cutoverCommand(sub, { component, to: 'target', yes: true }),
          ],
        ),
        ['(DNS now points at Amplify)', showDns(/\.cloudfront\.net$/)],
        [
          '(the app writes to AWS now)',
          async () => writeRow(await targetUrl(), 'written on AWS after cutover'),
        ],
        [
          'rollback (after cutover: switch back without losing that write)',
          () => rollbackCommand(sub, { yes: true }),
        ],
        ['(the AWS write is on the old side)', () => expectRow(sourceUrl, 'written on AWS after cutover')],
        ['(DNS is back on Vercel)', showDns(/^cname\.vercel-dns\.com$/)],
        ['status', () => statusCommand(sub)],
        ['rollback', () => rollbackCommand(sub, { yes: true })],
        ['(the RDS instance is deleted, its final snapshot kept)', showInstanceGone],
        ['verify (after rollback: what was created is gone)', () => verifyCommand(sub, {})],
      ];
      for (const [title, run] of stages) {
        if (!title.startsWith('(') && title !== 'sign-in')
          io.renderer.info(`\n${messages.demo.stage(title)}`);
        const code = await run();
        if (code !== ExitCode.ok) {
          io.renderer.info(messages.demo.failed(title, code));
          return ExitCode.failed;
        }
      }
      io.renderer.info(`\n${messages.demo.summaryTitle}`);
      if (census) for (const line of messages.demo.summary(seeded, census, missing)) io.renderer.info(line);
      if (options.keep) {
        process.off('SIGINT', onSignal);
        io.renderer.info(messages.sandbox.up(config));
        await new Promise<void>((done) => process.once('SIGINT', () => done()));
      }
      succeeded = true;
      return ExitCode.ok;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await stack.stop();
      rmSync(dir, { recursive: true, force: true });
      if (succeeded) io.renderer.info(messages.demo.done((Date.now() - started) / 1000));
    }
  });
}
