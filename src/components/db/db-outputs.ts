// What the db steps record for db.copy, sync and cutover.
declare module '../../core/step-outputs.js' {
  interface StepOutputs {
    'db.instance': {
      identifier: string;
      /** Where the instance answers (DescribeDBInstances Endpoint), once available. */
      endpoint: { address: string; port: number };
      /** The managed master secret RDS keeps in Secrets Manager (MasterUserSecret.SecretArn). */
      secretArn: string;
      engineVersion: string;
      parameterGroup: string;
    };
    'db.schema': { database: string; schemas: string[]; preLoadDone: boolean; postLoadStatements: number };
    'db.copy': {
      /** Logical replication slot made at the snapshot (null: trigger capture). */
      slot: string | null;
      publication: string | null;
      /** The LSN the slot starts at. */
      consistentPoint: string;
      /** Trigger capture: the pg_snapshot text the copy was read at. */
      snapshot: string;
      snapshotAt: string;
      resumedAt: string;
      postLoadDone: boolean;
      /** Foreign keys attached while their table was still empty (verify counts their orphans). */
      foreignKeysBeforeLoad: { table: string; name: string }[];
      [ranges: `ranges:${string}`]: { lo: string | null; hi: string | null }[];
      /** Who moved the rows (db-copy-dms.ts): "dms", or absent for this machine. */
      engine: 'dms' | null;
      dmsReplicationArn: string | null;
      dmsConfigId: string;
      /** The tables of the DMS table mappings (schema.table). */
      dmsTables: string[];
      /** StartReplication was called once: a rerun resumes, never starts again. */
      dmsStarted: boolean | null;
    };
  }
}
export {};
