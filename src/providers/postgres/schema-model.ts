// A database schema as introspected from pg_catalog. Definitions are the server's own
// pg_get_*def() output, taken with an empty search_path so every name in them is schema-qualified
// and the same text can be replayed on the target and compared against it.

export interface QualifiedName {
  schema: string;
  name: string;
}

export interface ExtensionInfo {
  name: string;
  schema: string;
  version: string;
  /** Names of the functions, types and operator classes it provides (to tell which ones the app uses). */
  members: string[];
}

export interface EnumType extends QualifiedName {
  kind: 'enum';
  labels: string[];
}

export interface DomainType extends QualifiedName {
  kind: 'domain';
  /** format_type() of the base type, schema-qualified. */
  baseType: string;
  notNull: boolean;
  default: string | null;
  collation: string | null;
  /** `CONSTRAINT name CHECK (...)` fragments. */
  constraints: { name: string; definition: string }[];
}

export interface CompositeType extends QualifiedName {
  kind: 'composite';
  attributes: { name: string; type: string; collation: string | null }[];
}

export type UserType = EnumType | DomainType | CompositeType;

export interface SequenceInfo extends QualifiedName {
  dataType: string;
  start: string;
  increment: string;
  min: string;
  max: string;
  cache: string;
  cycle: boolean;
  /** Current position (pg_sequences.last_value; null when never used). */
  lastValue: string | null;
  /** Set when a serial column owns it (`ALTER SEQUENCE ... OWNED BY`). */
  ownedBy: { table: string; column: string } | null;
  grants: Grant[] | null;
}

export interface ColumnInfo {
  name: string;
  /** format_type(): exact, with typmod (numeric(12,4), varchar(255), text[], public.bot_status). */
  type: string;
  notNull: boolean;
  /** pg_get_expr() of the default, when not identity or generated. */
  default: string | null;
  identity: 'always' | 'by default' | null;
  identitySequence: {
    start: string;
    increment: string;
    min: string;
    max: string;
    cache: string;
    cycle: boolean;
  } | null;
  /** Stored generation expression. */
  generated: string | null;
  /** Non-default collation, quoted and qualified ("pg_catalog"."C"). */
  collation: string | null;
}

export interface ConstraintInfo {
  name: string;
  type: 'primary' | 'unique' | 'check' | 'foreign' | 'exclusion';
  /** pg_get_constraintdef(). */
  definition: string;
  /** For foreign keys: the referenced table. */
  references: QualifiedName | null;
  deferrable: boolean;
  /** Primary key and unique constraints: pg_get_indexdef() of the index behind them. */
  indexDefinition?: string | null;
  /**
   * A view relies on it (a GROUP BY on the primary key lets the view select other columns): it must
   * exist before the view is created, so it cannot wait until after the load.
   */
  neededByViews?: boolean;
}

export interface IndexInfo {
  name: string;
  /** pg_get_indexdef(). */
  definition: string;
  unique: boolean;
}

export interface TriggerInfo {
  name: string;
  /** pg_get_triggerdef(). */
  definition: string;
  /** The trigger function, qualified. */
  function: QualifiedName;
}

export interface PolicyInfo {
  name: string;
  command: 'ALL' | 'SELECT' | 'INSERT' | 'UPDATE' | 'DELETE';
  permissive: boolean;
  roles: string[];
  using: string | null;
  withCheck: string | null;
}

export interface Grant {
  grantee: string;
  privilege: string;
  grantable: boolean;
}

export interface TableInfo extends QualifiedName {
  unlogged: boolean;
  columns: ColumnInfo[];
  constraints: ConstraintInfo[];
  indexes: IndexInfo[];
  triggers: TriggerInfo[];
  policies: PolicyInfo[];
  rowSecurity: boolean;
  forceRowSecurity: boolean;
  grants: Grant[] | null;
  /** Rough size from pg_class.reltuples (-1: never analysed). */
  estimatedRows: number;
  partitioned: boolean;
}

export interface ViewInfo extends QualifiedName {
  materialized: boolean;
  /** pg_get_viewdef(). */
  definition: string;
  options: string[];
  /** Views and materialized views this one reads, qualified "schema.name". */
  dependsOn: string[];
  grants: Grant[] | null;
}

export interface FunctionInfo extends QualifiedName {
  /** pg_get_function_identity_arguments(): the signature part of the identity. */
  identityArguments: string;
  kind: 'function' | 'procedure' | 'aggregate' | 'window';
  language: string;
  /** pg_get_functiondef() (CREATE OR REPLACE ...). Empty for aggregates. */
  definition: string;
  /** Its argument or result types include a table's or view's row type. */
  usesRowTypes: boolean;
  /** null: the default ACL (EXECUTE to PUBLIC). */
  grants: Grant[] | null;
}

export interface SchemaInfo {
  name: string;
  grants: Grant[] | null;
}

export interface SchemaModel {
  serverVersionNum: number;
  schemas: SchemaInfo[];
  extensions: ExtensionInfo[];
  types: UserType[];
  sequences: SequenceInfo[];
  tables: TableInfo[];
  views: ViewInfo[];
  functions: FunctionInfo[];
  /** Roles named by grants or policies (other than PUBLIC), with the attributes that matter. */
  roles: { name: string; login: boolean; bypassRls: boolean; exists: boolean }[];
  /** Every non-system schema of the database, introspected or not (to report what is skipped). */
  allSchemas: string[];
}

export const qualified = (o: QualifiedName): string => `${o.schema}.${o.name}`;
