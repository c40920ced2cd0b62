// User-facing text of db.instance (the RDS instance this tool provisions). Reached as messages.dbInstance.

export const dbInstanceMessages = {
  stepTitle: 'RDS PostgreSQL instance (parameter group with rds.logical_replication = 1, managed password)',
  notProvisioned: (id: string) =>
    `The RDS instance ${id || '(target.rds.instance)'} is not provisioned yet: db.instance has recorded no endpoint.`,
  notProvisionedHint:
    'Run `engify-migrate apply --phase 1` (db.instance runs first), then rerun this command.',
  secretUnreadable: (arn: string, why: string) =>
    `The RDS managed master secret ${arn} could not be read from Secrets Manager (${why}).`,
  secretUnreadableHint:
    'Allow secretsmanager:GetSecretValue on that secret (and kms:Decrypt on its key) for these credentials, then rerun.',
  noSession: 'The target database is reached through the RDS Data API, which has no direct session.',
  classNotOffered: (cls: string, version: string, region: string) =>
    `RDS does not offer instance class ${cls} for PostgreSQL ${version} in ${region} (target.rds.instance.class).`,
  classNotOfferedHint:
    'Pick a class RDS offers there (aws rds describe-orderable-db-instance-options --engine postgres --engine-version <v>), e.g. db.t4g.micro or db.t3.micro.',
  versionOlder: (want: string, source: string) =>
    `target.rds.instance.engineVersion ${want} is older than the source database's PostgreSQL ${source}: a dump of a newer server does not restore into an older one.`,
  versionOlderHint: (source: string) =>
    `Set target.rds.instance.engineVersion to "${source}" or later (or leave it out: it defaults to the source's major).`,
  versionNotOffered: (major: string, region: string, offered: string[]) =>
    `RDS offers no PostgreSQL ${major}.x in ${region}${offered.length ? ` (it offers ${offered.join(', ')})` : ''}.`,
  versionNotOfferedHint:
    'Set target.rds.instance.engineVersion to a version RDS offers, at least the source major.',
  collision: (id: string) =>
    `An RDS instance ${id} already exists and was not created by this tool for this project (no engify-migrate:project tag).`,
  collisionHint:
    'Pick another target.rds.instance.identifier, or point target.rds.url at that server instead of provisioning one.',
  groupCollision: (name: string) =>
    `A DB parameter group ${name} already exists and was not created by this tool.`,
  groupCollisionHint:
    'Delete or rename that group, or change target.rds.instance.identifier (the group is named after it).',
  waiting: (id: string, status: string) => `RDS instance ${id}: ${status}`,
  timeout: (id: string, status: string, ms: number) =>
    `RDS instance ${id} is still "${status}" after ${Math.round(ms / 60_000)} min.`,
  timeoutHint: 'It keeps provisioning on AWS: rerun apply later, it waits for the same instance again.',
  failed: (id: string, status: string) =>
    `RDS instance ${id} ended in status "${status}" instead of "available".`,
  failedHint: "Look at the instance's events in the RDS console; roll back (rollback --yes) and apply again.",
  available: (id: string, host: string, version: string) =>
    `RDS instance ${id} is available at ${host} (PostgreSQL ${version}).`,
  networkTool: (id: string) =>
    `No target.rds.instance.securityGroupIds: RDS attaches the VPC's default security group to ${id}. This tool needs TCP 5432 from this machine to the instance (db.schema, db.copy, sync); open it in that group (or give securityGroupIds) and set publiclyAccessible if this machine is outside the VPC.`,
  networkApp:
    'The app needs TCP 5432 from its compute to the instance too: Lambda functions in the VPC (their security group as the source of an inbound rule) or Amplify SSR compute (not in your VPC: the instance must be publicly reachable, or put an API in between).',
  planCreate: (id: string, cls: string, gb: number, type: string, version: string) =>
    `create RDS PostgreSQL ${version} instance ${id} (${cls}, ${gb} GB ${type}, deletion protection on, managed master password)`,
  planGroup: (name: string, family: string) =>
    `create DB parameter group ${name} (${family}, rds.logical_replication = 1, attached at create time: no reboot)`,
  rollbackNeedsYes: (id: string) =>
    `Rolling back db.instance deletes the RDS instance ${id} and everything in it: that takes rollback --yes.`,
  rollbackNeedsYesHint: (id: string) =>
    `Rerun \`engify-migrate rollback --yes\` to delete ${id} (a final snapshot is kept unless --skip-final-snapshot).`,
  rollbackConfirm: (id: string, snapshot: string | null) =>
    `RDS instance ${id} (${snapshot ? `final snapshot ${snapshot}` : 'no final snapshot: --skip-final-snapshot'})`,
  protectedNotOurs: (id: string) =>
    `RDS instance ${id} has deletion protection on and this tool did not create it: it is left as it is.`,
  deleted: (id: string, snapshot: string | null) =>
    `Deleted RDS instance ${id}${snapshot ? ` (final snapshot ${snapshot})` : ' (no final snapshot)'}.`,
  gone: (id: string) => `RDS instance ${id} is already gone.`,
};
