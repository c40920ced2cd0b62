import { randomBytes, randomUUID } from 'node:crypto';
import { type RunningStandIn, type StandInReply, startStandIn } from './http-stand-in.js';
import { type PostgresCluster, startPostgresCluster } from './postgres-cluster.js';
import type { PostgresMajor } from './postgres-install.js';
import type { SecretsStandIn } from './secrets-store.js';

// Stand-in for the RDS control plane (API version 2014-10-31), as @aws-sdk/client-rds speaks it: the
// awsQuery protocol, a form-encoded POST of Action=<Op>&Version=2014-10-31&..., answered with
// <OpResponse><OpResult>...</OpResult></OpResponse> XML, errors as <ErrorResponse><Error><Code>.
// Shapes from the SDK's schema (list members DBInstance, DBParameterGroup, Tag, Parameter, ...) and
// the RDS API reference. CreateDBInstance starts a REAL PostgreSQL cluster of the requested major with
// the parameter group's settings (rds.logical_replication=1 -> wal_level=logical), password auth on
// TCP, and the master password in the Secrets Manager stand-in as RDS's managed secret
// ({"username","password"}). The instance reports "creating" for `creatingPolls` DescribeDBInstances
// calls (and until the cluster is up), then "available" with its Endpoint: driven by requests, not time.
// Deletion protection is enforced like AWS (InvalidParameterCombination on DeleteDBInstance).

const NS = 'http://rds.amazonaws.com/doc/2014-10-31/';

export interface RdsInstanceRecord {
  identifier: string;
  status: string;
  engineVersion: string;
  instanceClass: string;
  storageGb: number;
  storageType: string;
  database: string;
  masterUsername: string;
  parameterGroup: string;
  backupRetention: number;
  deletionProtection: boolean;
  securityGroupIds: string[];
  publiclyAccessible: boolean;
  tags: { Key: string; Value: string }[];
  secretArn: string;
  polls: number;
  cluster?: PostgresCluster;
  starting?: Promise<void>;
  failed?: string;
}

export interface RdsParameterGroup {
  name: string;
  family: string;
  description: string;
  parameters: Record<string, { value: string; applyMethod: string }>;
  tags: { Key: string; Value: string }[];
}

export interface RdsSnapshot {
  identifier: string;
  instance: string;
  engineVersion: string;
}

export interface RdsStandIn extends RunningStandIn {
  instances: Map<string, RdsInstanceRecord>;
  parameterGroups: Map<string, RdsParameterGroup>;
  snapshots: RdsSnapshot[];
}

export interface RdsStandInOptions {
  region?: string;
  /** Where the managed master secrets go (RDS keeps them in Secrets Manager). */
  secrets: SecretsStandIn;
  /** DescribeDBInstances answers "creating" this many times after CreateDBInstance (default 2). */
  creatingPolls?: number;
  /** Instance classes offered in the region (DescribeOrderableDBInstanceOptions). */
  offeredClasses?: string[];
  /** Engine versions offered (only majors 15 and 17 can really be started here). */
  engineVersions?: string[];
}

const DEFAULT_CLASSES = ['db.t4g.micro', 'db.t3.micro', 'db.t4g.small', 'db.t3.small', 'db.m7g.large'];
const DEFAULT_VERSIONS = ['15.10', '15.12', '17.2', '17.4'];

const esc = (v: string) => v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const el = (name: string, value: string | number | boolean | undefined) =>
  value === undefined ? '' : `<${name}>${typeof value === 'string' ? esc(value) : String(value)}</${name}>`;
const list = (name: string, member: string, items: string[]) =>
  `<${name}>${items.map((i) => `<${member}>${i}</${member}>`).join('')}</${name}>`;

function ok(action: string, result: string): StandInReply {
  return {
    status: 200,
    headers: { 'content-type': 'text/xml' },
    raw: `<?xml version="1.0"?><${action}Response xmlns="${NS}"><${action}Result>${result}</${action}Result><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`,
  };
}

function fault(code: string, message: string, status = 400): StandInReply {
  return {
    status,
    headers: { 'content-type': 'text/xml' },
    raw: `<?xml version="1.0"?><ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${esc(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
  };
}

/** Form fields; list members come as Name.Member.N[.Field] (e.g. Tags.Tag.1.Key). */
function listOf(form: URLSearchParams, prefix: string): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  for (const [k, v] of form) {
    const m = new RegExp(`^${prefix.replace('.', '\\.')}\\.[A-Za-z]+\\.(\\d+)(?:\\.(\\w+))?$`).exec(k);
    if (!m) continue;
    const i = Number(m[1]) - 1;
    out[i] ??= {};
    (out[i] as Record<string, string>)[m[2] ?? '_'] = v;
  }
  return out.filter(Boolean);
}

const tagsXml = (tags: { Key: string; Value: string }[]) =>
  list(
    'TagList',
    'Tag',
    tags.map((t) => el('Key', t.Key) + el('Value', t.Value)),
  );

export async function startRdsApi(options: RdsStandInOptions): Promise<RdsStandIn> {
  const region = options.region ?? 'us-east-1';
  const creatingPolls = options.creatingPolls ?? 2;
  const classes = options.offeredClasses ?? DEFAULT_CLASSES;
  const versions = options.engineVersions ?? DEFAULT_VERSIONS;
  const instances = new Map<string, RdsInstanceRecord>();
  const parameterGroups = new Map<string, RdsParameterGroup>();
  const snapshots: RdsSnapshot[] = [];
  const arn = (kind: string, name: string) => `arn:aws:rds:${region}:123456789012:${kind}:${name}`;

  const instanceXml = (i: RdsInstanceRecord) =>
    [
      el('DBInstanceIdentifier', i.identifier),
      el('DBInstanceClass', i.instanceClass),
      el('Engine', 'postgres'),
      el('DBInstanceStatus', i.status),
      el('MasterUsername', i.masterUsername),
      el('DBName', i.database),
      i.status === 'available' && i.cluster
        ? `<Endpoint>${el('Address', '127.0.0.1')}${el('Port', i.cluster.port)}${el('HostedZoneId', 'Z2R2ITUGPM61AM')}</Endpoint>`
        : '',
      el('AllocatedStorage', i.storageGb),
      el('StorageType', i.storageType),
      el('BackupRetentionPeriod', i.backupRetention),
      list(
        'VpcSecurityGroups',
        'VpcSecurityGroupMembership',
        i.securityGroupIds.map((g) => el('VpcSecurityGroupId', g) + el('Status', 'active')),
      ),
      list('DBParameterGroups', 'DBParameterGroup', [
        el('DBParameterGroupName', i.parameterGroup) + el('ParameterApplyStatus', 'in-sync'),
      ]),
      el('EngineVersion', i.engineVersion),
      el('PubliclyAccessible', i.publiclyAccessible),
      el('StorageEncrypted', true),
      el('DBInstanceArn', arn('db', i.identifier)),
      el('DeletionProtection', i.deletionProtection),
      `<MasterUserSecret>${el('SecretArn', i.secretArn)}${el('SecretStatus', 'active')}</MasterUserSecret>`,
      tagsXml(i.tags),
    ].join('');

  const groupXml = (g: RdsParameterGroup) =>
    el('DBParameterGroupName', g.name) +
    el('DBParameterGroupFamily', g.family) +
    el('Description', g.description) +
    el('DBParameterGroupArn', arn('pg', g.name));

  async function startInstance(i: RdsInstanceRecord, password: string): Promise<void> {
    const group = parameterGroups.get(i.parameterGroup);
    const logical = group?.parameters['rds.logical_replication']?.value === '1';
    const major = Number(i.engineVersion.split('.')[0]) as PostgresMajor;
    const cluster = await startPostgresCluster({
      major,
      passwordAuth: true,
      settings: { wal_level: logical ? 'logical' : 'replica' },
    });
    i.cluster = cluster;
    const { default: pg } = await import('pg');
    const admin = new pg.Client({
      host: cluster.socketDir,
      port: cluster.port,
      user: 'postgres',
      database: 'postgres',
    });
    await admin.connect();
    try {
      const user = `"${i.masterUsername.replaceAll('"', '""')}"`;
      const secret = `'${password.replaceAll("'", "''")}'`;
      // RDS's master user is a member of rds_superuser (may set session_replication_role, create
      // extensions, replicate); locally the closest equivalent is a superuser.
      if (i.masterUsername === 'postgres') await admin.query(`ALTER ROLE postgres PASSWORD ${secret}`);
      else await admin.query(`CREATE ROLE ${user} LOGIN SUPERUSER PASSWORD ${secret}`);
      await admin.query(`CREATE DATABASE "${i.database}" OWNER ${user}`);
    } finally {
      await admin.end();
    }
  }

  const running = await startStandIn((req) => {
    if (!req.headers.authorization?.startsWith('AWS4-HMAC-SHA256'))
      return fault('MissingAuthenticationToken', 'Missing Authentication Token', 403);
    const form = new URLSearchParams(req.body);
    const action = form.get('Action') ?? '';
    const get = (k: string) => form.get(k) ?? undefined;

    if (action === 'DescribeDBEngineVersions') {
      const want = get('EngineVersion');
      const hits = versions.filter((v) => !want || v === want || v.startsWith(`${want}.`));
      return ok(
        action,
        list(
          'DBEngineVersions',
          'DBEngineVersion',
          hits.map(
            (v) =>
              el('Engine', 'postgres') +
              el('EngineVersion', v) +
              el('DBParameterGroupFamily', `postgres${v.split('.')[0]}`) +
              el('Status', 'available'),
          ),
        ),
      );
    }
    if (action === 'DescribeOrderableDBInstanceOptions') {
      const cls = get('DBInstanceClass');
      const version = get('EngineVersion');
      const offered = classes.filter((c) => !cls || c === cls);
      const vs = versions.filter((v) => !version || v === version || v.startsWith(`${version}.`));
      return ok(
        action,
        list(
          'OrderableDBInstanceOptions',
          'OrderableDBInstanceOption',
          offered.flatMap((c) =>
            vs.map(
              (v) =>
                el('Engine', 'postgres') +
                el('EngineVersion', v) +
                el('DBInstanceClass', c) +
                el('StorageType', 'gp3') +
                el('SupportsStorageEncryption', true),
            ),
          ),
        ),
      );
    }
    if (action === 'CreateDBParameterGroup') {
      const name = get('DBParameterGroupName') ?? '';
      if (parameterGroups.has(name))
        return fault('DBParameterGroupAlreadyExists', `Parameter group ${name} already exists`);
      const family = get('DBParameterGroupFamily') ?? '';
      if (!/^postgres\d+$/.test(family))
        return fault('InvalidParameterValue', `DBParameterGroupFamily ${family} is not a valid family`);
      const g: RdsParameterGroup = {
        name,
        family,
        description: get('Description') ?? '',
        parameters: {},
        tags: listOf(form, 'Tags').map((t) => ({ Key: t.Key ?? '', Value: t.Value ?? '' })),
      };
      parameterGroups.set(name, g);
      return ok(action, `<DBParameterGroup>${groupXml(g)}</DBParameterGroup>`);
    }
    if (action === 'ModifyDBParameterGroup') {
      const name = get('DBParameterGroupName') ?? '';
      const g = parameterGroups.get(name);
      if (!g) return fault('DBParameterGroupNotFound', `DBParameterGroup ${name} not found.`, 404);
      for (const p of listOf(form, 'Parameters')) {
        const pname = p.ParameterName ?? '';
        // Static parameters only take pending-reboot (the API reference: "static parameters ... require a reboot").
        if (pname === 'rds.logical_replication' && p.ApplyMethod !== 'pending-reboot')
          return fault(
            'InvalidParameterCombination',
            'cannot use immediate apply method for static parameter',
          );
        g.parameters[pname] = { value: p.ParameterValue ?? '', applyMethod: p.ApplyMethod ?? '' };
      }
      return ok(action, el('DBParameterGroupName', name));
    }
    if (action === 'DescribeDBParameterGroups') {
      const name = get('DBParameterGroupName');
      const gs = name
        ? [parameterGroups.get(name)].filter((g) => g !== undefined)
        : [...parameterGroups.values()];
      if (name && gs.length === 0)
        return fault('DBParameterGroupNotFound', `DBParameterGroup ${name} not found.`, 404);
      return ok(action, list('DBParameterGroups', 'DBParameterGroup', gs.map(groupXml)));
    }
    if (action === 'DescribeDBParameters') {
      const name = get('DBParameterGroupName') ?? '';
      const g = parameterGroups.get(name);
      if (!g) return fault('DBParameterGroupNotFound', `DBParameterGroup ${name} not found.`, 404);
      return ok(
        action,
        list(
          'Parameters',
          'Parameter',
          Object.entries(g.parameters).map(
            ([k, v]) =>
              el('ParameterName', k) +
              el('ParameterValue', v.value) +
              el('Source', 'user') +
              el('ApplyType', 'static') +
              el('ApplyMethod', v.applyMethod),
          ),
        ),
      );
    }
    if (action === 'ListTagsForResource') {
      const name = (get('ResourceName') ?? '').split(':').pop() ?? '';
      const tags = parameterGroups.get(name)?.tags ?? instances.get(name)?.tags ?? [];
      return ok(action, tagsXml(tags));
    }
    if (action === 'DeleteDBParameterGroup') {
      const name = get('DBParameterGroupName') ?? '';
      if (!parameterGroups.has(name))
        return fault('DBParameterGroupNotFound', `DBParameterGroup ${name} not found.`, 404);
      if ([...instances.values()].some((i) => i.parameterGroup === name))
        return fault(
          'InvalidDBParameterGroupState',
          `One or more database instances are still members of ${name}`,
        );
      parameterGroups.delete(name);
      return ok(action, '');
    }
    if (action === 'CreateDBInstance') {
      const identifier = (get('DBInstanceIdentifier') ?? '').toLowerCase();
      if (instances.has(identifier)) return fault('DBInstanceAlreadyExists', 'DB instance already exists');
      if (form.has('MasterUserPassword') && form.get('ManageMasterUserPassword') === 'true')
        return fault(
          'InvalidParameterCombination',
          'You cannot specify MasterUserPassword when ManageMasterUserPassword is true.',
        );
      const version = get('EngineVersion') ?? versions[versions.length - 1] ?? '17.4';
      const exact =
        versions.find((v) => v === version) ?? versions.filter((v) => v.startsWith(`${version}.`)).pop();
      if (!exact) return fault('InvalidParameterCombination', `Cannot find version ${version} for postgres`);
      const cls = get('DBInstanceClass') ?? '';
      if (!classes.includes(cls))
        return fault(
          'InvalidParameterCombination',
          `RDS does not support creating a DB instance with the following combination: DBInstanceClass=${cls}, Engine=postgres, EngineVersion=${exact}, LicenseModel=postgresql-license.`,
        );
      const groupName = get('DBParameterGroupName') ?? `default.postgres${exact.split('.')[0]}`;
      const group = parameterGroups.get(groupName);
      if (get('DBParameterGroupName') && !group)
        return fault('DBParameterGroupNotFound', `DBParameterGroup ${groupName} not found.`, 404);
      if (group && group.family !== `postgres${exact.split('.')[0]}`)
        return fault(
          'InvalidParameterCombination',
          `The parameter group ${groupName} with DBParameterGroupFamily ${group.family} can't be used for this instance. Use a parameter group with DBParameterGroupFamily postgres${exact.split('.')[0]}.`,
        );
      const password = randomBytes(18).toString('base64url');
      const masterUsername = get('MasterUsername') ?? 'postgres';
      const secretName = `rds!db-${randomUUID()}`;
      const secretArn = `arn:aws:secretsmanager:${region}:123456789012:secret:${secretName}-${randomBytes(3).toString('hex')}`;
      options.secrets.secrets.set(secretName, {
        arn: secretArn,
        name: secretName,
        value: JSON.stringify({ username: masterUsername, password }),
        versionId: randomUUID(),
        tags: [{ Key: 'aws:rds:primaryDBInstanceArn', Value: arn('db', identifier) }],
        description: `Secret associated with primary RDS DB instance: ${arn('db', identifier)}`,
        created: Date.now() / 1000,
      });
      const record: RdsInstanceRecord = {
        identifier,
        status: 'creating',
        engineVersion: exact,
        instanceClass: cls,
        storageGb: Number(get('AllocatedStorage') ?? '20'),
        storageType: get('StorageType') ?? 'gp2',
        database: get('DBName') ?? 'postgres',
        masterUsername,
        parameterGroup: groupName,
        backupRetention: Number(get('BackupRetentionPeriod') ?? '1'),
        deletionProtection: get('DeletionProtection') === 'true',
        securityGroupIds: listOf(form, 'VpcSecurityGroupIds').map((x) => x._ ?? ''),
        publiclyAccessible: get('PubliclyAccessible') === 'true',
        tags: listOf(form, 'Tags').map((t) => ({ Key: t.Key ?? '', Value: t.Value ?? '' })),
        secretArn,
        polls: 0,
      };
      record.starting = startInstance(record, password).catch((e: unknown) => {
        record.failed = String(e);
      });
      instances.set(identifier, record);
      return ok(action, `<DBInstance>${instanceXml(record)}</DBInstance>`);
    }
    if (action === 'DescribeDBInstances') {
      const id = get('DBInstanceIdentifier')?.toLowerCase();
      const hits = id ? [instances.get(id)].filter((i) => i !== undefined) : [...instances.values()];
      if (id && hits.length === 0) return fault('DBInstanceNotFound', `DBInstance ${id} not found.`, 404);
      return (async () => {
        for (const i of hits) {
          if (i.status !== 'creating') continue;
          i.polls++;
          if (i.polls < creatingPolls) continue;
          await i.starting;
          i.status = i.failed ? 'failed' : 'available';
        }
        return ok(action, list('DBInstances', 'DBInstance', hits.map(instanceXml)));
      })();
    }
    if (action === 'ModifyDBInstance') {
      const id = (get('DBInstanceIdentifier') ?? '').toLowerCase();
      const i = instances.get(id);
      if (!i) return fault('DBInstanceNotFound', `DBInstance ${id} not found.`, 404);
      if (form.has('DeletionProtection')) i.deletionProtection = get('DeletionProtection') === 'true';
      return ok(action, `<DBInstance>${instanceXml(i)}</DBInstance>`);
    }
    if (action === 'DeleteDBInstance') {
      const id = (get('DBInstanceIdentifier') ?? '').toLowerCase();
      const i = instances.get(id);
      if (!i) return fault('DBInstanceNotFound', `DBInstance ${id} not found.`, 404);
      if (i.deletionProtection)
        return fault(
          'InvalidParameterCombination',
          'Cannot delete protected DB Instance, please disable deletion protection and try again.',
        );
      const final = get('FinalDBSnapshotIdentifier');
      const skip = get('SkipFinalSnapshot') === 'true';
      if (!skip && !final)
        return fault(
          'InvalidParameterCombination',
          'FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.',
        );
      if (final && snapshots.some((s) => s.identifier === final))
        return fault(
          'DBSnapshotAlreadyExists',
          `Cannot create the snapshot because a snapshot with the identifier ${final} already exists.`,
        );
      if (final) snapshots.push({ identifier: final, instance: id, engineVersion: i.engineVersion });
      i.status = 'deleting';
      const xml = instanceXml(i);
      // Gone for the next Describe; the managed secret goes with the instance, as RDS deletes it.
      instances.delete(id);
      for (const [name, s] of options.secrets.secrets)
        if (s.arn === i.secretArn) options.secrets.secrets.delete(name);
      void (async () => {
        await i.starting;
        await i.cluster?.stop();
      })();
      return ok(action, `<DBInstance>${xml}</DBInstance>`);
    }
    return fault('InvalidAction', `The action ${action} is not valid for this web service.`);
  });

  return {
    ...running,
    instances,
    parameterGroups,
    snapshots,
    close: async () => {
      await running.close();
      for (const i of instances.values()) {
        await i.starting;
        await i.cluster?.stop();
      }
    },
  };
}
