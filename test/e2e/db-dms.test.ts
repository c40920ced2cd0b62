import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type DmsStandIn, startDmsStandIn } from '../../src/sandbox/dms-api.js';
import { type SecretsStandIn, startSecretsStore } from '../../src/sandbox/secrets-store.js';
import { type CliResult, runCli } from '../helpers/cli.js';
import { journalText, sourceDatabase, uniqueName, withDatabase } from '../helpers/db-cli-fixture.js';
import { query, runSql } from '../helpers/db-copy-fixture.js';
import { e2eWorkspace } from '../helpers/e2e-config.js';

// db.copy with engine "dms" through the BUILT CLI against the DMS stand-in (which really moves the rows
// between two databases of the shared cluster, by COPY and a test_decoding slot) and the Secrets
// Manager stand-in: phase 1-2, verify by this tool's checksums, sync lag from DMS's CDC latency,
// cutover (stops the replication after the drain), rollback (deletes what the tool created); a
// mid-load failure and a kill -9 during the wait, each rerun continuing the same replication.

let secrets: SecretsStandIn;
let dms: DmsStandIn;

beforeAll(async () => {
  secrets = await startSecretsStore();
  dms = await startDmsStandIn({
    pollMs: 50,
    tableDelayMs: 300,
    secretValue: (id) => [...secrets.secrets.values()].find((s) => s.arn === id || s.name === id)?.value,
  });
});

afterAll(async () => {
  await dms?.close();
  await secrets?.close();
});

const SCHEMA = `
  CREATE TABLE public.profiles (id bigserial PRIMARY KEY, email text NOT NULL UNIQUE, settings jsonb);
  CREATE TABLE public.notes (id bigserial PRIMARY KEY, profile_id bigint REFERENCES public.profiles (id),
                             body text, tags text[], created_at timestamptz DEFAULT now());
  CREATE INDEX notes_profile ON public.notes (profile_id);
  INSERT INTO public.profiles (email, settings)
    SELECT 'u' || g || '@example.com', jsonb_build_object('n', g) FROM generate_series(1, 300) g;
  INSERT INTO public.notes (profile_id, body, tags)
    SELECT 1 + g % 300, 'note ''' || g, ARRAY['a', 'b c'] FROM generate_series(1, 3000) g;`;

function workspace(
  options: { source?: string; engine?: string; dmsUrl?: string; dms?: Record<string, unknown> } = {},
) {
  const cluster = inject('stack').postgresUrl;
  let sourceUrl = options.source;
  if (!sourceUrl) {
    const name = uniqueName('dmssrc');
    runSql(cluster, `CREATE DATABASE ${name}`);
    sourceUrl = withDatabase(cluster, name);
    runSql(sourceUrl, SCHEMA);
  }
  const target = uniqueName('dmstgt');
  const ws = e2eWorkspace((c) => {
    c.source = { supabase: { dbUrl: sourceUrl, schemas: ['public'] } };
    c.target = {
      aws: {
        region: 'us-east-1',
        credentials: c.target.aws.credentials,
        endpoints: {
          dms: options.dmsUrl ?? dms.url,
          cloudwatch: options.dmsUrl ?? dms.url,
          secretsManager: secrets.url,
        },
        maxAttempts: 2,
        requestTimeoutMs: 10_000,
      },
      rds: {
        mode: 'pg',
        url: withDatabase(cluster, target),
        createDatabase: true,
        copy: { engine: options.engine ?? 'dms' },
      },
      dms: {
        secretsAccessRoleArn: 'arn:aws:iam::123456789012:role/dms-secrets',
        pollSeconds: 0.05,
        ...options.dms,
      },
    };
    c.sync = { maxLagSeconds: 5 };
  });
  const cli = (...args: string[]) => runCli(['--config', ws.configPath, ...args], { env: ws.env });
  return { ...ws, sourceUrl, targetUrl: withDatabase(cluster, target), cli };
}

const out = (r: CliResult) => r.stdout + r.stderr;
const tableDigests = async (url: string) =>
  query<{ p: string; n: string }>(
    url,
    `SELECT (SELECT md5(string_agg(p::text, '|' ORDER BY id)) FROM public.profiles p) AS p,
            (SELECT md5(string_agg(n::text, '|' ORDER BY id)) FROM public.notes n) AS n`,
  );
const mine = (prefix: string) =>
  [...dms.configs.values()].filter((c) => c.ReplicationConfigIdentifier === prefix);

describe('db.copy through AWS DMS (stand-in), through the CLI', () => {
  it('phase 1-2, verify, sync lag from DMS, cutover stops the replication, rollback deletes what it made', async () => {
    const w = workspace();
    const plan = await w.cli('plan', '--phase', '2');
    expect(plan.code, out(plan)).toBe(0);
    expect(plan.stdout).toContain('chosen: dms: target.rds.copy.engine is "dms"');
    expect(plan.stdout).toContain('full-load-and-cdc');

    expect((await w.cli('apply', '--phase', '1', '--yes')).code).toBe(0);
    const p2 = await w.cli('apply', '--phase', '2', '--yes');
    expect(p2.code, out(p2)).toBe(0);
    const prefix = `engify-${JSON.parse(readFileSync(w.configPath, 'utf8')).project}`;
    expect(mine(prefix)).toHaveLength(1);
    const created = dms
      .calls('CreateReplicationConfig')
      .find((c) => c.ReplicationConfigIdentifier === prefix)!;
    expect(created.ReplicationType).toBe('full-load-and-cdc');
    expect(JSON.parse(created.ReplicationSettings as string)).toMatchObject({
      FullLoadSettings: { TargetTablePrepMode: 'DO_NOTHING' },
      TargetMetadata: { SupportLobs: true, FullLobMode: true },
    });
    expect(
      JSON.parse(created.TableMappings as string).rules.map(
        (r: { 'object-locator': { 'table-name': string } }) => r['object-locator']['table-name'],
      ),
    ).toEqual(['notes', 'profiles']);
    // No secret reached the journal: only names and ARNs.
    expect(journalText(w.dir)).not.toMatch(/"password"/);

    const verify = await w.cli('verify');
    expect(verify.code, out(verify)).toBe(0);
    expect(await tableDigests(w.targetUrl)).toEqual(await tableDigests(w.sourceUrl));
    // Parity by key range, as for the local copy: the ranges are journaled for the tables DMS loaded.
    expect(journalText(w.dir)).toContain('"ranges:public.notes"');
    // The indexes and sequences DMS does not carry were made by the tool.
    const [idx] = await query<{ n: string }>(
      w.targetUrl,
      `SELECT count(*)::text AS n FROM pg_indexes WHERE indexname = 'notes_profile'`,
    );
    expect(idx!.n).toBe('1');

    // A change on the source arrives by DMS's CDC; sync reports DMS's latency.
    runSql(w.sourceUrl, `INSERT INTO public.profiles (email) VALUES ('late@example.com')`);
    const sync = await w.cli('sync', '--once');
    expect(sync.code, out(sync)).toBe(0);
    const [late] = await query<{ n: string }>(
      w.targetUrl,
      `SELECT count(*)::text AS n FROM public.profiles WHERE email = 'late@example.com'`,
    );
    expect(late!.n).toBe('1');
    expect(dms.calls('GetMetricData').length).toBeGreaterThan(0);

    const cut = await w.cli('cutover', '--component', 'db', '--to', 'target', '--yes');
    expect(cut.code, out(cut)).toBe(0);
    expect(out(cut)).toContain('DMS replication stopped after the drain');
    expect(dms.calls('StopReplication')).toHaveLength(1);

    // After a cutover, rollback first switches back (reverse sync drained), then undoes the migration.
    runSql(w.targetUrl, `INSERT INTO public.profiles (email) VALUES ('on-aws@example.com')`);
    const switched = await w.cli('rollback', '--yes');
    expect(out(switched)).toContain('switch db back to the old side');
    const [carried] = await query<{ n: string }>(
      w.sourceUrl,
      `SELECT count(*)::text AS n FROM public.profiles WHERE email = 'on-aws@example.com'`,
    );
    expect(carried!.n).toBe('1');
    const back = await w.cli('rollback', '--yes');
    expect(back.code, out(back)).toBe(0);
    expect(mine(prefix)).toHaveLength(0);
    expect([...dms.endpoints.values()].filter((e) => e.EndpointIdentifier.startsWith(prefix))).toHaveLength(
      0,
    );
    expect(
      [...secrets.secrets.values()].filter((s) => s.name.startsWith(prefix) && s.deletedAt === undefined),
    ).toHaveLength(0);
  }, 240_000);

  it('a replication that fails mid-load shows its reason; the rerun resumes it instead of starting over', async () => {
    const w = workspace();
    expect((await w.cli('apply', '--phase', '1', '--yes')).code).toBe(0);
    dms.failNextLoadAfter(1);
    const failed = await w.cli('apply', '--phase', '2', '--yes');
    expect(failed.code).toBe(1);
    expect(out(failed)).toContain('is failed: FATAL_ERROR: Stand-in failure injected');
    const starts = dms.calls('StartReplication').length;
    const rerun = await w.cli('apply', '--phase', '2', '--yes');
    expect(rerun.code, out(rerun)).toBe(0);
    const after = dms.calls('StartReplication').slice(starts);
    expect(after.map((c) => c.StartReplicationType)).toEqual(['resume-processing']);
    expect((await w.cli('verify')).code).toBe(0);
    expect((await w.cli('rollback', '--yes')).code).toBe(0);
  }, 240_000);

  it('kill -9 during the DMS wait: the rerun finds and continues the same replication', async () => {
    const w = workspace();
    expect((await w.cli('apply', '--phase', '1', '--yes')).code).toBe(0);
    const creates = dms.calls('CreateReplicationConfig').length;
    const starts = dms.calls('StartReplication').length;
    const killed = await runCli(['--config', w.configPath, 'apply', '--phase', '2', '--yes'], {
      env: w.env,
      onSpawn: (child) => {
        const watch = setInterval(() => {
          if (journalText(w.dir).includes('"dmsStarted"')) {
            child.kill('SIGKILL');
            clearInterval(watch);
          }
        }, 1);
        child.on('exit', () => clearInterval(watch));
      },
    });
    expect(killed.code).not.toBe(0);
    const rerun = await w.cli('apply', '--phase', '2', '--yes');
    expect(rerun.code, out(rerun)).toBe(0);
    // One replication config, started once: the rerun waited for the one the journal names.
    expect(dms.calls('CreateReplicationConfig').length - creates).toBe(1);
    expect(dms.calls('StartReplication').length - starts).toBe(1);
    expect((await w.cli('verify')).code).toBe(0);
    expect(await tableDigests(w.targetUrl)).toEqual(await tableDigests(w.sourceUrl));
    expect((await w.cli('rollback', '--yes')).code).toBe(0);
  }, 240_000);

  it('refuses a source DMS cannot serve, naming the columns, before anything is created', async () => {
    const cluster = inject('stack').postgresUrl;
    const source = sourceDatabase(cluster, 50); // the Supabase fixture: a composite-typed column
    const w = workspace({ source: source.url });
    const before = dms.calls('CreateEndpoint').length;
    const plan = await w.cli('plan', '--phase', '2');
    expect(plan.code).toBe(2);
    expect(out(plan)).toContain('column type(s) DMS does not map');
    expect(out(plan)).toContain('money_amount');
    expect(dms.calls('CreateEndpoint').length).toBe(before);
  }, 120_000);

  it('refuses a role without replication rights and a table without a primary key on the CDC path', async () => {
    const cluster = inject('stack').postgresUrl;
    const name = uniqueName('dmsnorep');
    runSql(cluster, `CREATE DATABASE ${name}`);
    const admin = withDatabase(cluster, name);
    runSql(
      admin,
      `${SCHEMA}
       CREATE TABLE public.log (at timestamptz, line text);
       DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'engify_norep') THEN
         CREATE ROLE engify_norep LOGIN; END IF; END $$;
       GRANT USAGE ON SCHEMA public TO engify_norep;
       GRANT SELECT ON ALL TABLES IN SCHEMA public TO engify_norep;`,
    );
    const u = new URL(admin);
    u.username = 'engify_norep';
    const w = workspace({ source: u.toString() });
    const plan = await w.cli('plan', '--phase', '2');
    expect(plan.code, out(plan)).toBe(2);
    expect(out(plan)).toContain('change capture is not possible for the source role engify_norep');
    expect(out(plan)).toContain('no REPLICATION attribute');
    expect(out(plan)).toContain('without a primary key on the change-capture path: public.log');
    // Full load only: both are fine (DMS reads with SELECT; no changes to lose keys for).
    const full = workspace({ source: u.toString(), dms: { migrationType: 'full-load' } });
    const fullPlan = await full.cli('plan', '--phase', '2');
    expect(fullPlan.code, out(fullPlan)).toBe(0);
    expect(fullPlan.stdout).toContain('DMS mode possible and planned: full-load');
    // Under auto (forced over the threshold by a tiny link), the same source falls back to local.
    const auto = workspace({ source: u.toString(), engine: 'auto' });
    const draft = JSON.parse(readFileSync(auto.configPath, 'utf8'));
    draft.network = { mbps: 0.0001 };
    draft.target.rds.copy.dmsAboveHours = 0.001;
    writeFileSync(auto.configPath, JSON.stringify(draft));
    const autoPlan = await auto.cli('plan', '--phase', '2');
    expect(autoPlan.code, out(autoPlan)).toBe(0);
    expect(autoPlan.stdout).toContain('falls back to the local copy');
  }, 120_000);

  it('a DMS quota refusal gets its own message and the rerun after it creates nothing twice', async () => {
    const full = await startDmsStandIn({
      secretValue: (id) => [...secrets.secrets.values()].find((s) => s.arn === id || s.name === id)?.value,
      quotas: { replicationConfigs: 0 },
    });
    try {
      const w = workspace({ dmsUrl: full.url });
      expect((await w.cli('apply', '--phase', '1', '--yes')).code).toBe(0);
      const p2 = await w.cli('apply', '--phase', '2', '--yes');
      expect(p2.code).not.toBe(0);
      expect(out(p2)).toContain('AWS DMS refused CreateReplicationConfig: a quota of the account is reached');
      expect(full.endpoints.size).toBe(2);
      const again = await w.cli('apply', '--phase', '2', '--yes');
      expect(again.code).not.toBe(0);
      expect(full.calls('CreateEndpoint')).toHaveLength(2); // found by the journal, not made again
      expect((await w.cli('rollback', '--yes')).code).toBe(0);
      expect(full.endpoints.size).toBe(0);
    } finally {
      await full.close();
    }
  }, 120_000);

  // kill -9 just after each kind of DMS resource is journaled as intended (the create may or may not
  // have reached AWS): the rerun ends with exactly one of each, as a clean run does.
  for (const kind of ['dms-secret', 'dms-endpoint', 'dms-replication'])
    it(`kill -9 at the ${kind} intent: the rerun makes no second one`, async () => {
      const w = workspace();
      const prefix = `engify-${JSON.parse(readFileSync(w.configPath, 'utf8')).project}`;
      expect((await w.cli('apply', '--phase', '1', '--yes')).code).toBe(0);
      await runCli(['--config', w.configPath, 'apply', '--phase', '2', '--yes'], {
        env: w.env,
        onSpawn: (child) => {
          const watch = setInterval(() => {
            if (journalText(w.dir).includes(`"${kind}"`)) {
              child.kill('SIGKILL');
              clearInterval(watch);
            }
          }, 1);
          child.on('exit', () => clearInterval(watch));
        },
      });
      const rerun = await w.cli('apply', '--phase', '2', '--yes');
      expect(rerun.code, out(rerun)).toBe(0);
      expect(mine(prefix)).toHaveLength(1);
      expect([...dms.endpoints.values()].filter((e) => e.EndpointIdentifier.startsWith(prefix))).toHaveLength(
        2,
      );
      expect(
        [...secrets.secrets.values()].filter((x) => x.name.startsWith(prefix) && x.deletedAt === undefined),
      ).toHaveLength(2);
      expect((await w.cli('verify')).code).toBe(0);
      expect((await w.cli('rollback', '--yes')).code).toBe(0);
      expect(mine(prefix)).toHaveLength(0);
    }, 120_000);
});
