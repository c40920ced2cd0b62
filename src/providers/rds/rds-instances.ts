import type { DBInstance, RDSClient } from '@aws-sdk/client-rds';

// Thin, typed operations on the RDS control plane for one PostgreSQL instance and its parameter group:
// what db.instance needs and nothing else. Facts from the RDS API reference:
// - ManageMasterUserPassword and MasterUserPassword exclude each other; the secret RDS makes in Secrets
//   Manager comes back as MasterUserSecret.SecretArn, holding {"username","password"}.
// - rds.logical_replication is a static parameter: it takes effect at the next reboot, unless the group
//   is attached at create time (so the instance starts with it); ApplyMethod must be pending-reboot.
// - DeleteDBInstance needs FinalDBSnapshotIdentifier or SkipFinalSnapshot=true, and fails with
//   InvalidParameterCombination while DeletionProtection is on.

export interface InstanceState {
  identifier: string;
  status: string;
  engineVersion: string;
  instanceClass: string;
  endpoint?: { address: string; port: number };
  secretArn?: string;
  deletionProtection: boolean;
  parameterGroup?: string;
  tags: Record<string, string>;
}

export interface CreateInstanceInput {
  identifier: string;
  instanceClass: string;
  engineVersion: string;
  storageGb: number;
  storageType: 'gp3' | 'gp2';
  database: string;
  masterUsername: string;
  parameterGroup: string;
  backupRetentionDays: number;
  securityGroupIds?: string[];
  subnetGroup?: string;
  publiclyAccessible?: boolean;
  tags: Record<string, string>;
}

export interface RdsOps {
  /** Versions RDS offers for the engine, e.g. ["15.8", "17.4"] (DescribeDBEngineVersions). */
  engineVersions(major: string): Promise<string[]>;
  /** Whether the class is offered for postgres at that version in the client's region. */
  classOffered(instanceClass: string, engineVersion: string): Promise<boolean>;
  describeParameterGroup(name: string): Promise<{ family: string; tags: Record<string, string> } | undefined>;
  /** CreateDBParameterGroup, then ModifyDBParameterGroup rds.logical_replication=1 (pending-reboot). */
  createParameterGroup(
    name: string,
    family: string,
    description: string,
    tags: Record<string, string>,
  ): Promise<void>;
  setLogicalReplication(name: string): Promise<void>;
  /** The group's value of one parameter (DescribeDBParameters, user source). */
  parameterValue(group: string, parameter: string): Promise<string | undefined>;
  deleteParameterGroup(name: string): Promise<void>;
  describeInstance(identifier: string): Promise<InstanceState | undefined>;
  createInstance(input: CreateInstanceInput): Promise<InstanceState>;
  setDeletionProtection(identifier: string, on: boolean): Promise<void>;
  /** DeleteDBInstance with a final snapshot (its id) or none (null). */
  deleteInstance(identifier: string, finalSnapshot: string | null): Promise<void>;
}

export const OWNER_TAG = 'engify-migrate:project';

export const isRdsNotFound = (e: unknown) =>
  e instanceof Error &&
  [
    'DBInstanceNotFoundFault',
    'DBInstanceNotFound',
    'DBParameterGroupNotFoundFault',
    'DBParameterGroupNotFound',
  ].includes(e.name);

const tagsOf = (list: { Key?: string; Value?: string }[] | undefined) =>
  Object.fromEntries((list ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
const tagList = (tags: Record<string, string>) =>
  Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

function stateOf(d: DBInstance): InstanceState {
  return {
    identifier: d.DBInstanceIdentifier ?? '',
    status: d.DBInstanceStatus ?? 'unknown',
    engineVersion: d.EngineVersion ?? '',
    instanceClass: d.DBInstanceClass ?? '',
    ...(d.Endpoint?.Address && d.Endpoint.Port
      ? { endpoint: { address: d.Endpoint.Address, port: d.Endpoint.Port } }
      : {}),
    ...(d.MasterUserSecret?.SecretArn ? { secretArn: d.MasterUserSecret.SecretArn } : {}),
    deletionProtection: d.DeletionProtection ?? false,
    ...(d.DBParameterGroups?.[0]?.DBParameterGroupName
      ? { parameterGroup: d.DBParameterGroups[0].DBParameterGroupName }
      : {}),
    tags: tagsOf(d.TagList),
  };
}

export async function rdsOps(client: RDSClient): Promise<RdsOps> {
  const rds = await import('@aws-sdk/client-rds');
  const ops: RdsOps = {
    async engineVersions(major) {
      const out: string[] = [];
      let Marker: string | undefined;
      do {
        // Filtered here: the API's EngineVersion filter wants a full version, not a major.
        const page = await client.send(
          new rds.DescribeDBEngineVersionsCommand({ Engine: 'postgres', Marker }),
        );
        for (const v of page.DBEngineVersions ?? [])
          if (v.EngineVersion === major || v.EngineVersion?.startsWith(`${major}.`))
            out.push(v.EngineVersion);
        Marker = page.Marker;
      } while (Marker);
      return out;
    },
    async classOffered(instanceClass, engineVersion) {
      const page = await client.send(
        new rds.DescribeOrderableDBInstanceOptionsCommand({
          Engine: 'postgres',
          EngineVersion: engineVersion,
          DBInstanceClass: instanceClass,
          MaxRecords: 20,
        }),
      );
      return (page.OrderableDBInstanceOptions ?? []).length > 0;
    },
    async describeParameterGroup(name) {
      try {
        const page = await client.send(
          new rds.DescribeDBParameterGroupsCommand({ DBParameterGroupName: name }),
        );
        const g = page.DBParameterGroups?.[0];
        if (!g) return undefined;
        const tags = g.DBParameterGroupArn
          ? tagsOf(
              (await client.send(new rds.ListTagsForResourceCommand({ ResourceName: g.DBParameterGroupArn })))
                .TagList,
            )
          : {};
        return { family: g.DBParameterGroupFamily ?? '', tags };
      } catch (e) {
        if (isRdsNotFound(e)) return undefined;
        throw e;
      }
    },
    async createParameterGroup(name, family, description, tags) {
      await client.send(
        new rds.CreateDBParameterGroupCommand({
          DBParameterGroupName: name,
          DBParameterGroupFamily: family,
          Description: description,
          Tags: tagList(tags),
        }),
      );
      await ops.setLogicalReplication(name);
    },
    async setLogicalReplication(name) {
      await client.send(
        new rds.ModifyDBParameterGroupCommand({
          DBParameterGroupName: name,
          Parameters: [
            { ParameterName: 'rds.logical_replication', ParameterValue: '1', ApplyMethod: 'pending-reboot' },
          ],
        }),
      );
    },
    async parameterValue(group, parameter) {
      let Marker: string | undefined;
      do {
        const page = await client.send(
          new rds.DescribeDBParametersCommand({ DBParameterGroupName: group, Source: 'user', Marker }),
        );
        const hit = (page.Parameters ?? []).find((p) => p.ParameterName === parameter);
        if (hit) return hit.ParameterValue;
        Marker = page.Marker;
      } while (Marker);
      return undefined;
    },
    async deleteParameterGroup(name) {
      try {
        await client.send(new rds.DeleteDBParameterGroupCommand({ DBParameterGroupName: name }));
      } catch (e) {
        if (!isRdsNotFound(e)) throw e;
      }
    },
    async describeInstance(identifier) {
      try {
        const page = await client.send(
          new rds.DescribeDBInstancesCommand({ DBInstanceIdentifier: identifier }),
        );
        const d = page.DBInstances?.[0];
        return d ? stateOf(d) : undefined;
      } catch (e) {
        if (isRdsNotFound(e)) return undefined;
        throw e;
      }
    },
    async createInstance(input) {
      const out = await client.send(
        new rds.CreateDBInstanceCommand({
          DBInstanceIdentifier: input.identifier,
          Engine: 'postgres',
          EngineVersion: input.engineVersion,
          DBInstanceClass: input.instanceClass,
          AllocatedStorage: input.storageGb,
          StorageType: input.storageType,
          DBName: input.database,
          MasterUsername: input.masterUsername,
          // The password never passes through this tool: RDS keeps it in Secrets Manager.
          ManageMasterUserPassword: true,
          DBParameterGroupName: input.parameterGroup,
          BackupRetentionPeriod: input.backupRetentionDays,
          DeletionProtection: true,
          StorageEncrypted: true,
          ...(input.securityGroupIds ? { VpcSecurityGroupIds: input.securityGroupIds } : {}),
          ...(input.subnetGroup ? { DBSubnetGroupName: input.subnetGroup } : {}),
          ...(input.publiclyAccessible !== undefined ? { PubliclyAccessible: input.publiclyAccessible } : {}),
          Tags: tagList(input.tags),
        }),
      );
      return stateOf(out.DBInstance ?? { DBInstanceIdentifier: input.identifier });
    },
    async setDeletionProtection(identifier, on) {
      await client.send(
        new rds.ModifyDBInstanceCommand({
          DBInstanceIdentifier: identifier,
          DeletionProtection: on,
          ApplyImmediately: true,
        }),
      );
    },
    async deleteInstance(identifier, finalSnapshot) {
      await client.send(
        new rds.DeleteDBInstanceCommand({
          DBInstanceIdentifier: identifier,
          ...(finalSnapshot
            ? { FinalDBSnapshotIdentifier: finalSnapshot, SkipFinalSnapshot: false }
            : { SkipFinalSnapshot: true }),
          DeleteAutomatedBackups: false,
        }),
      );
    },
  };
  return ops;
}
