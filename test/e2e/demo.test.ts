import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

// `engify-migrate demo` through the built CLI: every stage must pass, passwords must survive the move,
// the rollback must leave nothing, and the process must leave no server or child behind.

const refused = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });

describe('engify-migrate demo', () => {
  it('runs every phase, verifies, signs in, rolls back and stops everything', async () => {
    const result = await runCli(['demo']);
    const out = result.stdout;
    expect(result.code, `${out}\n${result.stderr}`).toBe(0);

    // Stages in order, each one announced.
    const stages = [
      'plan',
      'apply --phase 1',
      'apply --phase 1 (again: nothing to do)',
      'apply --phase 2',
      'apply --phase 3',
      'apply (again, every phase: nothing to do)',
      'verify',
      'status',
      'rollback',
      'verify (after rollback',
    ];
    let at = 0;
    for (const stage of stages) {
      const i = out.indexOf(`== engify-migrate ${stage}`, at);
      expect(i, `stage "${stage}" missing or out of order`).toBeGreaterThan(-1);
      at = i;
    }

    // Every apply succeeded with nothing failed; the second phase-1 apply had nothing to do.
    const applies = [...out.matchAll(/(\d+) step\(s\) succeeded, (\d+) failed, (\d+) not run\./g)];
    expect(applies).toHaveLength(5);
    for (const a of applies) expect([a[2], a[3]]).toEqual(['0', '0']);
    const rerun = out.slice(
      out.indexOf('(again: nothing to do)'),
      out.indexOf('== engify-migrate apply --phase 2'),
    );
    expect(rerun).toMatch(/in step, nothing to do/);
    expect(rerun).not.toMatch(/^✓ /m);
    // A second apply of every phase changes nothing anywhere.
    const again = out.slice(out.indexOf('(again, every phase'), out.indexOf('== engify-migrate verify'));
    expect(again.match(/^= /gm)?.length ?? 0).toBeGreaterThanOrEqual(12);
    expect(again).not.toMatch(/^[✓✗] /m);
    for (const step of [
      'db.copy',
      'auth.users',
      'files.copy',
      'hosting.app',
      'hosting.env',
      'hosting.domain',
    ])
      expect(out).toMatch(new RegExp(`✓ ${step.replace('.', '\\.')} `));

    // Alarms, topic and dashboard in phase 1, the backend's alarms in phase 3; the metrics sync
    // published, and the no-data alarm firing once sync stops publishing.
    expect(out).toMatch(/✓ monitoring\.alarms /);
    expect(out).toMatch(/✓ monitoring\.backend /);
    expect(out).toMatch(/CloudWatch got [1-9]\d* PutMetricData call\(s\)/);
    expect(out).toMatch(/alarm engify-engify-demo-sync-no-data: OK -> ALARM/);

    // A backup before any data moves (phase 2's first step), and a fresh one before cutover.
    expect(out).toMatch(/✓ backup\.source /);
    expect(out).toMatch(/✓ backup: \d{8}T\d{6}Z: \d+ object\(s\) in s3:\/\/engify-demo-backups\/backups\//);

    // The plan ends with the cost table: dated prices, each target service, the total.
    expect(out).toMatch(/Cost and free tier \(us-east-1, list prices in USD\)/);
    expect(out).toMatch(/prices as checked on \d{4}-\d{2}-\d{2} .*prices change/);
    expect(out).toMatch(/^ {2}total: \$[\d.]+\/month/m);

    // verify passes, both before and after the rollback.
    const verifies = [...out.matchAll(/(\d+) check\(s\) passed, (\d+) failed, (\d+) skipped\./g)];
    expect(verifies).toHaveLength(2);
    for (const v of verifies) {
      expect(Number(v[1])).toBeGreaterThan(0);
      expect(v[2]).toBe('0');
    }
    expect(Number(verifies[0]?.[1])).toBeGreaterThan(40);

    // Seeded users sign in to Cognito with their old Supabase passwords.
    expect(out).toMatch(/ok {3}alice@demo\.engify\.dev: tokens issued/);
    expect(out).toMatch(/ok {3}bob@demo\.engify\.dev: tokens issued/);
    expect(out).not.toMatch(/FAIL /);
    // The Render backend on Lambda behind the gateway: public, refused without a token, RDS data with one.
    expect(out).toMatch(/ok {3}GET \/api\/health \(public\): HTTP 200/);
    expect(out).toMatch(/ok {3}GET \/api\/bots without a token: HTTP 401/);
    expect(out).toMatch(
      /ok {3}GET \/api\/bots signed in as alice@demo\.engify\.dev: HTTP 200 3 bots from RDS/,
    );
    expect(out).toMatch(/✓ cutover backend -> target: .*frontend NEXT_PUBLIC_API_URL = http/);
    // Sync while both are live, cutover of every component, and a rollback that loses nothing.
    expect(out).toContain('found "written on Supabase while both were live" in app.public.messages');
    for (const c of ['db', 'auth', 'files', 'hosting']) {
      expect(out).toMatch(new RegExp(`✓ cutover ${c} -> target: .*${c}: flag set to target`));
    }
    expect(out).toMatch(/reverse sync drained/);
    // DNS through Route 53: switched to Amplify at the hosting cutover, back to Vercel by the rollback.
    expect(out).toMatch(/DNS: www\.chatbot\.engify-demo\.dev -> d[0-9a-f]+\.cloudfront\.net/);
    expect(out).toMatch(/DNS: chatbot\.engify-demo\.dev -> cname\.vercel-dns\.com/);
    expect(out).toContain('found "written on AWS after cutover" in supabase.public.messages');

    // Rollback undid every step it had applied.
    expect(out).toMatch(/(\d+) step\(s\) rolled back\./);
    // The target database was an RDS instance db.instance provisioned (through the stand-in, on a
    // PostgreSQL server of its own with logical replication on): deleted, its final snapshot kept.
    expect(out).toMatch(/RDS instance engify-demo-db \(db\.t4g\.micro\) is available at .*wal_level logical/);
    expect(out).toMatch(
      /RDS instance engify-demo-db is deleted; final snapshot engify-demo-db-final-\S+ kept/,
    );
    expect(out).toMatch(/rds-instance engify-demo-db deleted/);

    // What moved, counted on the target: the same numbers as seeded.
    expect(out).toMatch(/rows: +253 -> 253 /);
    expect(out).toMatch(/users: +6 -> 6 in the Cognito pool/);
    expect(out).toMatch(/objects: +15 -> 15 in S3/);
    // Vectors either moved in full, or are reported as not run (their steps not registered), never faked.
    const points = out.match(/points: +270 -> (.*)/)?.[1] ?? '';
    if (/not registered/.test(out)) expect(points).toMatch(/not migrated/);
    else {
      expect(points).toBe('270 DynamoDB items');
      expect(out).toMatch(/✓ vectors\.copy /);
    }
    expect(out).toMatch(/Demo finished in [\d.]+ s/);

    // No secret of the run in the output: the per-run keys are random and must never be printed.
    expect(out).not.toMatch(/sb-service-[0-9a-f]{24}|qd-[0-9a-f]{24}|vc-[0-9a-f]{24}/);
    expect(out).not.toMatch(/alice-Demo-pass-1|bob-Demo-pass-2/);

    // Nothing left running: every port the demo listened on is closed (PostgreSQL, the child's s3rver
    // and cognito-local, dynalite and every stand-in).
    const endpoints = out.slice(out.indexOf('Local stack up.'), out.indexOf('Seeded in'));
    const ports = [...endpoints.matchAll(/127\.0\.0\.1:(\d+)/g)].map((m) => Number(m[1]));
    expect(ports.length).toBeGreaterThanOrEqual(11);
    for (const port of new Set(ports)) expect(await refused(port), `port ${port} still open`).toBe(true);
  }, 240_000); // the whole story; on a loaded 2-core machine with the embedded server it took up to 110 s

  it('on Ctrl-C mid-run stops every server it started and exits 130', async () => {
    let seen = '';
    const result = await runCli(['demo'], {
      onSpawn: (child) => {
        child.stdout?.on('data', (c: Buffer) => {
          const before = seen;
          seen += c.toString();
          if (
            !before.includes('== engify-migrate apply --phase 1') &&
            seen.includes('== engify-migrate apply --phase 1')
          )
            child.kill('SIGINT');
        });
      },
    });
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(130);
    expect(result.stdout).toMatch(/Demo interrupted \(SIGINT\)/);
    expect(result.stdout).not.toMatch(/Demo finished/);
    const endpoints = result.stdout.slice(
      result.stdout.indexOf('Local stack up.'),
      result.stdout.indexOf('Seeded in'),
    );
    const ports = [...endpoints.matchAll(/127\.0\.0\.1:(\d+)/g)].map((m) => Number(m[1]));
    expect(ports.length).toBeGreaterThanOrEqual(11);
    for (const port of new Set(ports)) expect(await refused(port), `port ${port} still open`).toBe(true);
  }, 60_000);
});
