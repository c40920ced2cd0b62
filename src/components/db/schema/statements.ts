// The translated schema as the target receives it: ordered statements, each with a guard that tells
// whether its object is already there (so applying is idempotent and a plan can say create vs present)
// and, when it creates something, the object rollback may drop.

export type StatementKind =
  | 'role'
  | 'schema'
  | 'extension'
  | 'type'
  | 'sequence'
  | 'function'
  | 'table'
  | 'sequence-owner'
  | 'view'
  | 'grant'
  | 'index'
  | 'constraint'
  | 'foreign-key'
  | 'trigger'
  | 'row-security'
  | 'policy'
  | 'refresh';

export type DroppableKind =
  | 'database'
  | 'schema'
  | 'extension'
  | 'role'
  | 'type'
  | 'domain'
  | 'sequence'
  | 'table'
  | 'view'
  | 'materialized view'
  | 'function'
  | 'procedure';

/** Something a statement creates: `name` is the SQL text DROP needs (quoted, qualified, with arguments). */
export interface CreatedObject {
  kind: DroppableKind;
  name: string;
}

export interface Statement {
  /** Stable identity, e.g. "table public.bots", "index public.bots_owner_idx". */
  key: string;
  kind: StatementKind;
  sql: string;
  /** Returns a row when the object already exists; the statement is then skipped. */
  existsSql?: string;
  creates?: CreatedObject;
  /** The table it locks ("schema.name"): post-load statements on one table run one after another. */
  table?: string;
  /** A failure is reported and the rest goes on (e.g. BYPASSRLS, which managed servers may refuse). */
  optional?: boolean;
  /** An index a primary key or unique constraint adopts (USING INDEX): built before other indexes. */
  backsKey?: boolean;
  /** A foreign key's referenced table ("schema.name"). */
  references?: string;
}

export interface TranslationNote {
  /** error: the schema cannot be translated as is; nothing is written until it is resolved. */
  level: 'info' | 'warning' | 'error';
  object: string;
  message: string;
}

/** A table db.copy loads: insertable columns in order, the key it can range over. */
export interface CopyTable {
  schema: string;
  name: string;
  /** Columns to copy (generated columns left out: the target computes them). */
  columns: string[];
  primaryKey: string[] | null;
  /** GENERATED ALWAYS identity columns: INSERTs need OVERRIDING SYSTEM VALUE (COPY does not). */
  identityAlways: string[];
}

export const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;
export const quoteLiteral = (value: string): string => `'${value.replace(/'/g, "''")}'`;
export const qualifiedIdent = (schema: string, name: string): string =>
  `${quoteIdent(schema)}.${quoteIdent(name)}`;

export const relationExists = (schema: string, name: string): string =>
  `SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ${quoteLiteral(schema)} AND c.relname = ${quoteLiteral(name)}`;

export const typeExists = (schema: string, name: string): string =>
  `SELECT 1 FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = ${quoteLiteral(schema)} AND t.typname = ${quoteLiteral(name)}`;

export const schemaExists = (name: string): string =>
  `SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = ${quoteLiteral(name)}`;

export const roleExists = (name: string): string =>
  `SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = ${quoteLiteral(name)}`;

export const extensionExists = (name: string): string =>
  `SELECT 1 FROM pg_catalog.pg_extension WHERE extname = ${quoteLiteral(name)}`;

/** Identity arguments are compared as pg_get_function_identity_arguments() prints them with an empty search_path. */
export const functionExists = (schema: string, name: string, args: string): string =>
  `SELECT 1 FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = ${quoteLiteral(schema)} AND p.proname = ${quoteLiteral(name)} AND pg_catalog.pg_get_function_identity_arguments(p.oid) = ${quoteLiteral(args)}`;

export const constraintExists = (schema: string, table: string, name: string): string =>
  `SELECT 1 FROM pg_catalog.pg_constraint co JOIN pg_catalog.pg_class c ON c.oid = co.conrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ${quoteLiteral(schema)} AND c.relname = ${quoteLiteral(table)} AND co.conname = ${quoteLiteral(name)}`;

export const triggerExists = (schema: string, table: string, name: string): string =>
  `SELECT 1 FROM pg_catalog.pg_trigger tg JOIN pg_catalog.pg_class c ON c.oid = tg.tgrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ${quoteLiteral(schema)} AND c.relname = ${quoteLiteral(table)} AND tg.tgname = ${quoteLiteral(name)}`;

export const policyExists = (schema: string, table: string, name: string): string =>
  `SELECT 1 FROM pg_catalog.pg_policy po JOIN pg_catalog.pg_class c ON c.oid = po.polrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ${quoteLiteral(schema)} AND c.relname = ${quoteLiteral(table)} AND po.polname = ${quoteLiteral(name)}`;

export const rowSecurityOn = (schema: string, table: string, force: boolean): string =>
  `SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ${quoteLiteral(schema)} AND c.relname = ${quoteLiteral(table)} AND c.${force ? 'relforcerowsecurity' : 'relrowsecurity'}`;

/** The ACL a GRANT target lives in: FROM-clause text selecting exactly that object's row, and its ACL column. */
export interface AclSource {
  from: string;
  acl: string;
}

export const schemaAcl = (schema: string): AclSource => ({
  from: `pg_catalog.pg_namespace o WHERE o.nspname = ${quoteLiteral(schema)}`,
  acl: 'o.nspacl',
});

export const relationAcl = (schema: string, name: string): AclSource => ({
  from: `pg_catalog.pg_class o JOIN pg_catalog.pg_namespace n ON n.oid = o.relnamespace WHERE n.nspname = ${quoteLiteral(schema)} AND o.relname = ${quoteLiteral(name)}`,
  acl: 'o.relacl',
});

export const functionAcl = (schema: string, name: string, args: string): AclSource => ({
  from: `pg_catalog.pg_proc o JOIN pg_catalog.pg_namespace n ON n.oid = o.pronamespace WHERE n.nspname = ${quoteLiteral(schema)} AND o.proname = ${quoteLiteral(name)} AND pg_catalog.pg_get_function_identity_arguments(o.oid) = ${quoteLiteral(args)}`,
  acl: 'o.proacl',
});

const granteeOid = (grantee: string) =>
  grantee === 'PUBLIC'
    ? '0'
    : `(SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname = ${quoteLiteral(grantee)})`;

/** A row when `grantee` holds every one of `privileges` on the object. */
export const grantExists = (source: AclSource, grantee: string, privileges: string[]): string =>
  `SELECT 1 WHERE (SELECT count(DISTINCT a.privilege_type) FROM (SELECT ${source.acl} AS acl FROM ${source.from}) x, pg_catalog.aclexplode(x.acl) a WHERE a.grantee = ${granteeOid(grantee)} AND a.privilege_type IN (${privileges.map(quoteLiteral).join(', ')})) = ${privileges.length}`;

/** A row when PUBLIC no longer holds the default EXECUTE. */
export const publicRevoked = (source: AclSource): string =>
  `SELECT 1 FROM (SELECT ${source.acl} AS acl FROM ${source.from}) x WHERE x.acl IS NOT NULL AND NOT EXISTS (SELECT 1 FROM pg_catalog.aclexplode(x.acl) a WHERE a.grantee = 0)`;
