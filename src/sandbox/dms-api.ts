import { randomBytes } from 'node:crypto';
import {
  applyPending,
  type Conn,
  createSlot,
  dropSlot,
  loadTable,
  pendingLatency,
  type TableProgress,
  type TableRef,
} from './dms-engine.js';
import { type RunningStandIn, type StandInReply, startStandIn } from './http-stand-in.js';

// A stand-in for AWS DMS Serverless, obviously not DMS: it serves the control routes db.copy's DMS
// path calls, in the protocol the pinned @aws-sdk/client-database-migration-service speaks (JSON 1.1,
// X-Amz-Target "AmazonDMSv20160101.<Op>", timestamps as epoch seconds, errors as 400 { __type,
// message }), and really moves the data between the local clusters (dms-engine.ts): a COPY per table of
// the table mappings (target table preparation DO_NOTHING: the tables exist), then a test_decoding slot
// applied every pollMs. CDC latency is answered the way DMS publishes it, as the CloudWatch metrics
// CDCLatencySource / CDCLatencyTarget (AWS/DMS), through GetMetricData on the same port (JSON 1.0,
// X-Amz-Target "GraniteServiceVersion20100801.GetMetricData"). `failNextLoadAfter(n)` makes the next
// full load fail after n tables, for the resume test. Every request is recorded.

interface Endpoint {
  EndpointIdentifier: string;
  EndpointArn: string;
  EndpointType: 'SOURCE' | 'TARGET';
  EngineName: string;
  DatabaseName?: string;
  SecretsManagerSecretId?: string;
  SecretsManagerAccessRoleArn?: string;
  PostgreSQLSettings?: Record<string, unknown>;
  Status: string;
}

interface Config {
  ReplicationConfigIdentifier: string;
  ReplicationConfigArn: string;
  SourceEndpointArn: string;
  TargetEndpointArn: string;
  ReplicationType: string;
  ComputeConfig: Record<string, unknown>;
  TableMappings: string;
  ReplicationSettings?: string;
  ReplicationConfigCreateTime: number;
}

interface Run {
  status: string;
  stopReason?: string;
  failure?: string;
  tables: Map<string, TableProgress>;
  startedAt?: number;
  fullLoadStart?: number;
  fullLoadFinish?: number;
  stoppedAt?: number;
  /** Resolves when the worker loop has ended (stop, failure, delete). */
  worker?: Promise<void>;
  stop?: boolean;
  /** One user of the slot at a time (PostgreSQL refuses a second: "slot is active"). */
  slotLock: Promise<unknown>;
}

function withSlot<T>(run: Run, use: () => Promise<T>): Promise<T> {
  const next = run.slotLock.then(use, use);
  run.slotLock = next.catch(() => undefined);
  return next;
}

/** A GetMetricData query as the SDK sends it (the parts read here). */
export interface MetricQuery {
  Id: string;
  MetricStat?: {
    Metric?: { Namespace?: string; MetricName?: string; Dimensions?: { Name?: string; Value?: string }[] };
  };
}

export interface DmsStandIn extends RunningStandIn {
  /** The CDC latency values of one metric query, for a CloudWatch stand-in that serves AWS/DMS from here. */
  metricValues(q: MetricQuery): Promise<{ Timestamps: number[]; Values: number[] }>;
  endpoints: Map<string, Endpoint>;
  configs: Map<string, Config>;
  /** The next full load fails after this many tables are loaded (then the setting clears). */
  failNextLoadAfter(tables: number): void;
  /** The requests of one operation, by name. */
  calls(op: string): Record<string, unknown>[];
}

export interface DmsStandInOptions {
  region?: string;
  /** The SecretString of a secret id or ARN (the secrets stand-in's store). */
  secretValue(id: string): string | undefined;
  /** How often change capture applies the slot (ms). */
  pollMs?: number;
  /** A pause before each table's load, so a test can act while a full load is under way. */
  tableDelayMs?: number;
  /** Account quotas (ResourceQuotaExceededFault past them). */
  quotas?: { endpoints?: number; replicationConfigs?: number };
}

const ACCOUNT = '123456789012';
const fault = (name: string, message: string): StandInReply => ({
  status: 400,
  body: { __type: name, message },
});
const seconds = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);

export async function startDmsStandIn(options: DmsStandInOptions): Promise<DmsStandIn> {
  const region = options.region ?? 'us-east-1';
  const pollMs = options.pollMs ?? 200;
  const endpoints = new Map<string, Endpoint>();
  const configs = new Map<string, Config>();
  const runs = new Map<string, Run>();
  let failAfter: number | undefined;
  const arn = (kind: string) =>
    `arn:aws:dms:${region}:${ACCOUNT}:${kind}:${randomBytes(10).toString('hex').toUpperCase()}`;

  const conn = (endpointArn: string): Conn => {
    const e = endpoints.get(endpointArn);
    // A PostgreSQL endpoint names its secret in PostgreSQLSettings (the top-level field is for others).
    const secretId =
      (e?.PostgreSQLSettings?.SecretsManagerSecretId as string | undefined) ?? e?.SecretsManagerSecretId;
    if (!e || !secretId) throw new Error(`endpoint ${endpointArn} has no secret`);
    const raw = options.secretValue(secretId);
    if (!raw) throw new Error(`Failed to retrieve secret ${secretId}`);
    const s = JSON.parse(raw) as { username: string; password: string; host: string; port: number | string };
    return {
      host: s.host,
      port: Number(s.port),
      user: s.username,
      password: s.password,
      database: e.DatabaseName ?? 'postgres',
    };
  };
  const slotOf = (c: Config) => {
    const e = endpoints.get(c.SourceEndpointArn);
    const name = e?.PostgreSQLSettings?.SlotName;
    return typeof name === 'string'
      ? name
      : `dms_${c.ReplicationConfigIdentifier.replace(/[^a-z0-9]/gi, '_').toLowerCase()}`;
  };
  const mappedTables = (c: Config): TableRef[] => {
    const rules = (JSON.parse(c.TableMappings) as { rules: Record<string, unknown>[] }).rules;
    return rules
      .filter((r) => r['rule-type'] === 'selection' && r['rule-action'] === 'include')
      .map((r) => r['object-locator'] as { 'schema-name': string; 'table-name': string })
      .map((l) => ({ schema: l['schema-name'], name: l['table-name'] }));
  };

  async function work(c: Config, run: Run): Promise<void> {
    const source = conn(c.SourceEndpointArn);
    const target = conn(c.TargetEndpointArn);
    const cdc = c.ReplicationType !== 'full-load';
    const slot = slotOf(c);
    const tables = mappedTables(c);
    // The slot first: every change committed after it is captured, so rows copied after it and changed
    // meanwhile are applied again by key, never lost.
    if (cdc) await createSlot(source, slot);
    run.fullLoadStart ??= Date.now();
    let loaded = 0;
    for (const t of tables) {
      const p = run.tables.get(`${t.schema}.${t.name}`) as TableProgress;
      if (p.state === 'Table completed') continue;
      if (run.stop) return;
      if (failAfter !== undefined && loaded >= failAfter) {
        failAfter = undefined;
        p.state = 'Table error';
        throw new Error(`Stand-in failure injected while loading ${t.schema}.${t.name}`);
      }
      p.state = 'Full load';
      p.startedAt = Date.now();
      if (options.tableDelayMs) await new Promise((r) => setTimeout(r, options.tableDelayMs));
      p.fullLoadRows = await loadTable(source, target, t);
      p.state = 'Table completed';
      p.endedAt = Date.now();
      loaded++;
    }
    run.fullLoadFinish ??= Date.now();
    if (!cdc) {
      run.status = 'stopped';
      run.stopReason = 'FULL_LOAD_ONLY_FINISHED';
      run.stoppedAt = Date.now();
      return;
    }
    while (!run.stop) {
      await withSlot(run, () => applyPending(source, target, slot, tables, run.tables));
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }

  function start(c: Config, run: Run): void {
    run.status = 'running';
    run.stop = false;
    run.startedAt = Date.now();
    run.failure = undefined;
    run.stopReason = undefined;
    run.worker = work(c, run).catch((e: unknown) => {
      run.status = 'failed';
      run.stopReason = 'FATAL_ERROR';
      run.failure = e instanceof Error ? e.message : String(e);
      run.stoppedAt = Date.now();
    });
  }

  const replication = (c: Config) => {
    const run = runs.get(c.ReplicationConfigArn);
    const tables = [...(run?.tables.values() ?? [])];
    return {
      ReplicationConfigIdentifier: c.ReplicationConfigIdentifier,
      ReplicationConfigArn: c.ReplicationConfigArn,
      SourceEndpointArn: c.SourceEndpointArn,
      TargetEndpointArn: c.TargetEndpointArn,
      ReplicationType: c.ReplicationType,
      Status: run?.status ?? 'created',
      ProvisionData: {
        ProvisionState: run ? 'provisioned' : 'unprovisioned',
        ProvisionedCapacityUnits: run ? 2 : 0,
      },
      ...(run?.stopReason ? { StopReason: run.stopReason } : {}),
      ...(run?.failure ? { FailureMessages: [run.failure] } : {}),
      ReplicationStats: {
        FullLoadProgressPercent:
          tables.length === 0
            ? 0
            : Math.round((100 * tables.filter((t) => t.state === 'Table completed').length) / tables.length),
        ElapsedTimeMillis: run?.startedAt ? Date.now() - run.startedAt : 0,
        TablesLoaded: tables.filter((t) => t.state === 'Table completed').length,
        TablesLoading: tables.filter((t) => t.state === 'Full load').length,
        TablesQueued: tables.filter((t) => t.state === 'Before load').length,
        TablesErrored: tables.filter((t) => t.state === 'Table error').length,
        ...(run?.startedAt ? { StartDate: seconds(run.startedAt) } : {}),
        ...(run?.fullLoadStart ? { FullLoadStartDate: seconds(run.fullLoadStart) } : {}),
        ...(run?.fullLoadFinish ? { FullLoadFinishDate: seconds(run.fullLoadFinish) } : {}),
        ...(run?.stoppedAt ? { StopDate: seconds(run.stoppedAt) } : {}),
      },
      ReplicationCreateTime: seconds(c.ReplicationConfigCreateTime),
    };
  };

  const byFilter = <T>(items: T[], filters: unknown, field: (t: T, name: string) => string | undefined) => {
    const fs = (Array.isArray(filters) ? filters : []) as { Name: string; Values: string[] }[];
    return items.filter((i) => fs.every((f) => f.Values.includes(field(i, f.Name) ?? '')));
  };

  async function dms(op: string, input: Record<string, unknown>): Promise<StandInReply> {
    switch (op) {
      case 'CreateEndpoint': {
        const id = input.EndpointIdentifier as string;
        if ([...endpoints.values()].some((e) => e.EndpointIdentifier === id))
          return fault('ResourceAlreadyExistsFault', `Endpoint ${id} already exists`);
        if (endpoints.size >= (options.quotas?.endpoints ?? 1000))
          return fault('ResourceQuotaExceededFault', 'Quota exceeded for endpoints');
        const e: Endpoint = {
          EndpointIdentifier: id,
          EndpointArn: arn('endpoint'),
          EndpointType: String(input.EndpointType).toUpperCase() as 'SOURCE' | 'TARGET',
          EngineName: input.EngineName as string,
          DatabaseName: input.DatabaseName as string | undefined,
          SecretsManagerSecretId: input.SecretsManagerSecretId as string | undefined,
          SecretsManagerAccessRoleArn: input.SecretsManagerAccessRoleArn as string | undefined,
          PostgreSQLSettings: input.PostgreSQLSettings as Record<string, unknown> | undefined,
          Status: 'active',
        };
        endpoints.set(e.EndpointArn, e);
        return { status: 200, body: { Endpoint: e } };
      }
      case 'DescribeEndpoints': {
        const found = byFilter([...endpoints.values()], input.Filters, (e, n) =>
          n === 'endpoint-arn' ? e.EndpointArn : n === 'endpoint-id' ? e.EndpointIdentifier : undefined,
        );
        if (found.length === 0)
          return fault('ResourceNotFoundFault', 'No Endpoints found matching provided filters');
        return { status: 200, body: { Endpoints: found } };
      }
      case 'DeleteEndpoint': {
        const e = endpoints.get(input.EndpointArn as string);
        if (!e) return fault('ResourceNotFoundFault', 'Endpoint not found');
        if (
          [...configs.values()].some(
            (c) => c.SourceEndpointArn === e.EndpointArn || c.TargetEndpointArn === e.EndpointArn,
          )
        )
          return fault('InvalidResourceStateFault', 'Endpoint is used by a replication config');
        endpoints.delete(e.EndpointArn);
        return { status: 200, body: { Endpoint: { ...e, Status: 'deleting' } } };
      }
      case 'CreateReplicationConfig': {
        const id = input.ReplicationConfigIdentifier as string;
        if ([...configs.values()].some((c) => c.ReplicationConfigIdentifier === id))
          return fault('ResourceAlreadyExistsFault', `Replication config ${id} already exists`);
        if (configs.size >= (options.quotas?.replicationConfigs ?? 100))
          return fault('ResourceQuotaExceededFault', 'Quota exceeded for replication configs');
        for (const k of ['SourceEndpointArn', 'TargetEndpointArn'] as const)
          if (!endpoints.has(input[k] as string)) return fault('ResourceNotFoundFault', `${k} not found`);
        const c: Config = {
          ReplicationConfigIdentifier: id,
          ReplicationConfigArn: arn('replication-config'),
          SourceEndpointArn: input.SourceEndpointArn as string,
          TargetEndpointArn: input.TargetEndpointArn as string,
          ReplicationType: input.ReplicationType as string,
          ComputeConfig: (input.ComputeConfig ?? {}) as Record<string, unknown>,
          TableMappings: input.TableMappings as string,
          ReplicationSettings: input.ReplicationSettings as string | undefined,
          ReplicationConfigCreateTime: Date.now(),
        };
        configs.set(c.ReplicationConfigArn, c);
        return {
          status: 200,
          body: {
            ReplicationConfig: { ...c, ReplicationConfigCreateTime: seconds(c.ReplicationConfigCreateTime) },
          },
        };
      }
      case 'DescribeReplicationConfigs': {
        const found = byFilter([...configs.values()], input.Filters, (c, n) =>
          n === 'replication-config-arn'
            ? c.ReplicationConfigArn
            : n === 'replication-config-id'
              ? c.ReplicationConfigIdentifier
              : undefined,
        );
        if (found.length === 0) return fault('ResourceNotFoundFault', 'No replication configs found');
        return {
          status: 200,
          body: {
            ReplicationConfigs: found.map((c) => ({
              ...c,
              ReplicationConfigCreateTime: seconds(c.ReplicationConfigCreateTime),
            })),
          },
        };
      }
      case 'DeleteReplicationConfig': {
        const c = configs.get(input.ReplicationConfigArn as string);
        if (!c) return fault('ResourceNotFoundFault', 'Replication config not found');
        const run = runs.get(c.ReplicationConfigArn);
        if (run?.status === 'running')
          return fault('InvalidResourceStateFault', 'Replication is running: stop it first');
        await run?.worker;
        if (c.ReplicationType !== 'full-load')
          await dropSlot(conn(c.SourceEndpointArn), slotOf(c)).catch(() => undefined);
        configs.delete(c.ReplicationConfigArn);
        runs.delete(c.ReplicationConfigArn);
        return {
          status: 200,
          body: {
            ReplicationConfig: { ...c, ReplicationConfigCreateTime: seconds(c.ReplicationConfigCreateTime) },
          },
        };
      }
      case 'StartReplication': {
        const c = configs.get(input.ReplicationConfigArn as string);
        if (!c) return fault('ResourceNotFoundFault', 'Replication config not found');
        const type = input.StartReplicationType as string;
        let run = runs.get(c.ReplicationConfigArn);
        if (run?.status === 'running')
          return fault('InvalidResourceStateFault', 'Replication is already running');
        if (type === 'start-replication' && run)
          return fault(
            'InvalidResourceStateFault',
            'Replication was started before: use resume-processing or reload-target',
          );
        if (type !== 'start-replication' && !run)
          return fault('InvalidResourceStateFault', 'Replication was never started');
        if (!run || type === 'reload-target') {
          run = { status: 'starting', tables: new Map(), slotLock: Promise.resolve() };
          for (const t of mappedTables(c))
            run.tables.set(`${t.schema}.${t.name}`, {
              ...t,
              state: 'Before load',
              fullLoadRows: 0,
              inserts: 0,
              updates: 0,
              deletes: 0,
            });
          runs.set(c.ReplicationConfigArn, run);
        }
        start(c, run);
        return { status: 200, body: { Replication: replication(c) } };
      }
      case 'StopReplication': {
        const c = configs.get(input.ReplicationConfigArn as string);
        const run = c && runs.get(c.ReplicationConfigArn);
        if (!c || !run) return fault('ResourceNotFoundFault', 'Replication not found');
        if (run.status !== 'running')
          return fault('InvalidResourceStateFault', `Replication is ${run.status}`);
        run.stop = true;
        await run.worker;
        if (run.status === 'running') {
          run.status = 'stopped';
          run.stopReason = 'NORMAL';
          run.stoppedAt = Date.now();
        }
        return { status: 200, body: { Replication: replication(c) } };
      }
      case 'DescribeReplications': {
        const found = byFilter([...configs.values()], input.Filters, (c, n) =>
          n === 'replication-config-arn' ? c.ReplicationConfigArn : undefined,
        );
        if (found.length === 0) return fault('ResourceNotFoundFault', 'No replications found');
        return { status: 200, body: { Replications: found.map(replication) } };
      }
      case 'DescribeReplicationTableStatistics': {
        const c = configs.get(input.ReplicationConfigArn as string);
        if (!c) return fault('ResourceNotFoundFault', 'Replication config not found');
        const run = runs.get(c.ReplicationConfigArn);
        return {
          status: 200,
          body: {
            ReplicationConfigArn: c.ReplicationConfigArn,
            ReplicationTableStatistics: [...(run?.tables.values() ?? [])].map((t) => ({
              SchemaName: t.schema,
              TableName: t.name,
              Inserts: t.inserts,
              Updates: t.updates,
              Deletes: t.deletes,
              Ddls: 0,
              FullLoadRows: t.fullLoadRows,
              FullLoadErrorRows: 0,
              ...(t.startedAt ? { FullLoadStartTime: seconds(t.startedAt) } : {}),
              ...(t.endedAt ? { FullLoadEndTime: seconds(t.endedAt) } : {}),
              TableState: t.state,
              LastUpdateTime: seconds(Date.now()),
            })),
          },
        };
      }
      default:
        return fault('InvalidParameterValueException', `The stand-in does not serve ${op}`);
    }
  }

  /** One GetMetricData query's values: the CDC latency of a running replication, as DMS reports it. */
  async function metricValues(q: MetricQuery): Promise<{ Timestamps: number[]; Values: number[] }> {
    const now = Date.now();
    const m = q.MetricStat?.Metric;
    const id = m?.Dimensions?.find((d) => d.Name === 'ReplicationConfigId')?.Value;
    const c = [...configs.values()].find(
      (x) => x.ReplicationConfigIdentifier === id || x.ReplicationConfigArn.endsWith(`:${id}`),
    );
    const run = c && runs.get(c.ReplicationConfigArn);
    const known =
      m?.Namespace === 'AWS/DMS' &&
      (m.MetricName === 'CDCLatencySource' || m.MetricName === 'CDCLatencyTarget');
    const values =
      known && c && run?.status === 'running' && run.fullLoadFinish
        ? [await withSlot(run, () => pendingLatency(conn(c.SourceEndpointArn), slotOf(c), now))]
        : [];
    return { Timestamps: values.map(() => now / 1000), Values: values };
  }

  async function metricData(input: Record<string, unknown>): Promise<StandInReply> {
    const queries = (input.MetricDataQueries ?? []) as MetricQuery[];
    const results = [];
    for (const q of queries) {
      const m = q.MetricStat?.Metric;
      results.push({
        Id: q.Id,
        Label: m?.MetricName ?? q.Id,
        ...(await metricValues(q)),
        StatusCode: 'Complete',
      });
    }
    return { status: 200, body: { MetricDataResults: results, Messages: [] } };
  }

  const running = await startStandIn(async (req) => {
    if (!req.headers.authorization?.startsWith('AWS4-HMAC-SHA256'))
      return fault('MissingAuthenticationTokenException', 'Missing Authentication Token');
    const [service, op = ''] = (req.headers['x-amz-target'] ?? '').split('.');
    const input = (req.body ? JSON.parse(req.body) : {}) as Record<string, unknown>;
    if (service === 'AmazonDMSv20160101') return dms(op, input);
    if (service === 'GraniteServiceVersion20100801' && op === 'GetMetricData') return metricData(input);
    return fault('UnknownOperationException', `unknown target ${req.headers['x-amz-target']}`);
  });

  return {
    ...running,
    metricValues,
    endpoints,
    configs,
    failNextLoadAfter: (n) => {
      failAfter = n;
    },
    calls: (op) =>
      running.requests
        .filter((r) => r.headers['x-amz-target']?.endsWith(`.${op}`))
        .map((r) => JSON.parse(r.body || '{}') as Record<string, unknown>),
    close: async () => {
      for (const run of runs.values()) run.stop = true;
      await Promise.all([...runs.values()].map((r) => r.worker));
      await running.close();
    },
  };
}
