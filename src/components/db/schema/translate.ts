import type {
  ColumnInfo,
  ConstraintInfo,
  FunctionInfo,
  Grant,
  SchemaModel,
  TableInfo,
  UserType,
  ViewInfo,
} from '../../../providers/postgres/schema-model.js';
import { qualified } from '../../../providers/postgres/schema-model.js';
import { apiRoleStatements, authShimStatements, SUPABASE_API_ROLES } from './auth-shim.js';
import {
  type AclSource,
  type CopyTable,
  constraintExists,
  extensionExists,
  functionAcl,
  functionExists,
  grantExists,
  policyExists,
  publicRevoked,
  qualifiedIdent,
  quoteIdent,
  quoteLiteral,
  relationAcl,
  relationExists,
  roleExists,
  rowSecurityOn,
  type Statement,
  schemaAcl,
  schemaExists,
  type TranslationNote,
  triggerExists,
  typeExists,
} from './statements.js';

// Turns the source's schema model into ordered DDL for the target, split around the data load:
//   pre-load:  roles, schemas, extensions, types, the auth shim, sequences, functions, tables (with
//              their primary keys), views in dependency order, grants;
//   post-load: secondary indexes, unique/exclusion/check constraints, foreign keys, triggers, row
//              level security and policies, materialized view refreshes.
// Anything that depends on a Supabase-only object is left out, and every translation or omission is a
// note in `report`; an `error` note means the target cannot be built faithfully and nothing is written.

/**
 * Whether a primary key or unique constraint is built after the load (its index first, then the
 * constraint adopts it), as pg_dump and pgcopydb do: loading into a table whose key index is maintained
 * row by row is what made the load slow. It stays in CREATE TABLE when a view relies on it (the view
 * needs it to exist) or the table is partitioned (USING INDEX is not available there); a deferrable
 * unique constraint is added whole after the load.
 */
export function keyBuiltAfterLoad(
  t: Pick<TableInfo, 'partitioned'>,
  c: Pick<ConstraintInfo, 'type' | 'deferrable' | 'neededByViews' | 'indexDefinition'>,
): boolean {
  if (c.type !== 'primary' && c.type !== 'unique') return false;
  return (
    !t.partitioned &&
    !c.deferrable &&
    !c.neededByViews &&
    /^CREATE UNIQUE INDEX .+ USING btree \(/.test(c.indexDefinition ?? '')
  );
}

/** Schemas Supabase runs for itself; their tables are never copied (auth.users gets a shim). */
export const SUPABASE_INTERNAL_SCHEMAS = new Set([
  'auth',
  'storage',
  'realtime',
  '_realtime',
  'graphql',
  'graphql_public',
  'vault',
  'supabase_functions',
  'supabase_migrations',
  'extensions',
  'pgsodium',
  'pgsodium_masks',
  'net',
  'cron',
  'pgbouncer',
  '_analytics',
  'pgtle',
  '_supavisor',
]);

/** Extensions that only serve Supabase's own services. */
export const SUPABASE_INTERNAL_EXTENSIONS = new Set([
  'pg_graphql',
  'pgsodium',
  'supabase_vault',
  'pg_net',
  'supautils',
  'wrappers',
]);

/** Roles of Supabase's own services: grants to them are dropped. */
export const SUPABASE_INTERNAL_ROLES = new Set([
  'postgres',
  'supabase_admin',
  'supabase_auth_admin',
  'supabase_storage_admin',
  'supabase_functions_admin',
  'supabase_realtime_admin',
  'supabase_replication_admin',
  'supabase_read_only_user',
  'supabase_etl_admin',
  'dashboard_user',
  'authenticator',
  'pgbouncer',
  'pgsodium_keyholder',
  'pgsodium_keyiduser',
  'pgsodium_keymaker',
]);

/** auth.* objects the target provides through the shim. */
const AUTH_PROVIDED = new Set(['uid', 'jwt', 'role', 'email', 'users']);

const SUPPORTED_LANGUAGES = new Set(['sql', 'plpgsql']);

export interface TranslatedSchema {
  preLoad: Statement[];
  postLoad: Statement[];
  report: TranslationNote[];
  /** What the target must hold once everything ran: the diff compares against it. */
  kept: SchemaModel;
  copyTables: CopyTable[];
  /** Extensions the kept objects use: missing on the target is an error before anything is written. */
  requiredExtensions: { name: string; schema: string }[];
  /** Present on the source, unused by the kept objects: created when the target offers them. */
  optionalExtensions: { name: string; schema: string }[];
  authShim: boolean;
  /** Source sequences with their positions (db.copy sets them after the load). */
  sequences: { schema: string; name: string; lastValue: string | null }[];
}

export interface TranslateOptions {
  /** The configured source schemas (source.supabase.schemas or source.postgres.schemas). */
  schemas: string[];
  /**
   * Whether the source is a Supabase database (default): its own schemas, roles and extensions are
   * left out, and references to auth.users / auth.uid() are served by the target's auth shim. For any
   * other PostgreSQL source an `auth` schema is a schema like any other.
   */
  supabase?: boolean;
  /** The config path of the schema list, for notes that name it. */
  schemasField?: string;
}

export function translateSchema(model: SchemaModel, options: TranslateOptions): TranslatedSchema {
  const report: TranslationNote[] = [];
  const note = (level: TranslationNote['level'], object: string, message: string) =>
    report.push({ level, object, message });
  const configured = new Set(options.schemas);
  const supabase = options.supabase ?? true;
  const field = options.schemasField ?? 'source.supabase.schemas';
  const internalSchemas = supabase ? SUPABASE_INTERNAL_SCHEMAS : new Set<string>();
  const internalRoles = supabase ? SUPABASE_INTERNAL_ROLES : new Set<string>();
  const internalExtensions = supabase ? SUPABASE_INTERNAL_EXTENSIONS : new Set<string>();
  const unavailable = supabase ? 'Supabase-only' : 'unmigrated';

  for (const s of options.schemas) {
    if (!model.schemas.some((x) => x.name === s))
      note('error', `schema ${s}`, `not found on the source (${field} lists it)`);
    else if (internalSchemas.has(s))
      note(
        'error',
        `schema ${s}`,
        `is Supabase-internal; remove it from ${field} (auth users move with the auth migration)`,
      );
  }

  // Extensions: used ones are required, internal ones skipped, the rest created when available.
  const extensionSchemas = new Set(model.extensions.map((e) => e.schema));
  const allText: string[] = [];
  const collect = (...parts: (string | null | undefined)[]) => {
    for (const p of parts) if (p) allText.push(p);
  };

  // References to schemas the target will not have, except what the auth shim provides.
  const resolvable = new Set([...configured, 'pg_catalog', ...extensionSchemas]);
  const foreignSchemas = model.allSchemas.filter((s) => !resolvable.has(s));
  const refPattern =
    foreignSchemas.length === 0
      ? null
      : new RegExp(
          `(?<![\\w$."])"?(${foreignSchemas.map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})"?\\.("[^"]+"|[A-Za-z_][\\w$]*)`,
          'g',
        );
  let usesAuth = false;
  const unresolved = (...texts: (string | null | undefined)[]): string[] => {
    const out = new Set<string>();
    if (!refPattern) return [];
    for (const text of texts) {
      if (!text) continue;
      for (const m of text.matchAll(refPattern)) {
        const schema = m[1] as string;
        const name = (m[2] as string).replace(/^"|"$/g, '');
        if (supabase && schema === 'auth' && AUTH_PROVIDED.has(name)) {
          usesAuth = true;
          continue;
        }
        out.add(`${schema}.${name}`);
      }
    }
    return [...out];
  };

  for (const s of model.allSchemas) {
    if (configured.has(s)) continue;
    if (internalSchemas.has(s)) {
      note(
        'info',
        `schema ${s}`,
        s === 'auth'
          ? 'Supabase Auth: not copied; the target gets an auth shim (auth.users, auth.uid()) instead'
          : s === 'extensions'
            ? 'hosts extensions: only the extensions are created'
            : 'Supabase-internal: skipped',
      );
    } else if (extensionSchemas.has(s)) {
      note('info', `schema ${s}`, 'hosts extensions: only the extensions are created');
    } else {
      note('warning', `schema ${s}`, `not listed in ${field}: not migrated`);
    }
  }

  // Types ------------------------------------------------------------------------------------------
  const keptTypes: UserType[] = [];
  const skippedTypes = new Set<string>();
  for (const t of model.types) {
    const texts =
      t.kind === 'enum'
        ? []
        : t.kind === 'domain'
          ? [t.baseType, t.default, ...t.constraints.map((c) => c.definition)]
          : t.attributes.map((a) => a.type);
    const refs = unresolved(...texts);
    if (refs.length > 0 || texts.some((x) => x && [...skippedTypes].some((s) => x.includes(s)))) {
      skippedTypes.add(qualified(t));
      note(
        'error',
        `type ${qualified(t)}`,
        `depends on ${refs.join(', ') || 'a skipped type'}, which the target will not have`,
      );
      continue;
    }
    keptTypes.push(t);
    collect(...texts);
  }

  // Functions --------------------------------------------------------------------------------------
  const keptFunctions: FunctionInfo[] = [];
  const skippedFunctions = new Set<string>();
  for (const f of model.functions) {
    const id = `${qualified(f)}(${f.identityArguments})`;
    if (f.kind === 'aggregate') {
      note('warning', `function ${id}`, 'aggregates are not translated yet: create it by hand on the target');
      skippedFunctions.add(qualified(f));
      continue;
    }
    if (!SUPPORTED_LANGUAGES.has(f.language)) {
      note('warning', `function ${id}`, `language ${f.language} is not available on RDS: skipped`);
      skippedFunctions.add(qualified(f));
      continue;
    }
    const refs = unresolved(f.definition);
    if (refs.length > 0) {
      note('warning', `function ${id}`, `depends on ${unavailable} ${refs.join(', ')}: skipped`);
      skippedFunctions.add(qualified(f));
      continue;
    }
    keptFunctions.push(f);
    collect(f.definition);
  }
  const mentionsSkippedFunction = (text: string | null) =>
    text !== null && [...skippedFunctions].some((f) => text.includes(`${f}(`));

  // Tables -----------------------------------------------------------------------------------------
  const keptTables: TableInfo[] = [];
  const keptTableNames = new Set<string>();
  for (const t of model.tables) {
    const name = qualified(t);
    if (t.partitioned) {
      note(
        'error',
        `table ${name}`,
        'partitioned tables are not translated yet: create it on the target first, then rerun',
      );
      continue;
    }
    const columns: ColumnInfo[] = [];
    let broken = false;
    for (const c of t.columns) {
      const typeRefs = unresolved(c.type, c.generated);
      if (
        typeRefs.length > 0 ||
        [...skippedTypes].some((s) => c.type.includes(s)) ||
        mentionsSkippedFunction(c.generated)
      ) {
        note(
          'error',
          `column ${name}.${c.name}`,
          `its type or generation depends on ${typeRefs.join(', ') || 'a skipped object'}`,
        );
        broken = true;
        continue;
      }
      const defaultRefs = unresolved(c.default);
      if (defaultRefs.length > 0 || mentionsSkippedFunction(c.default)) {
        note(
          'warning',
          `column ${name}.${c.name}`,
          `default ${c.default} depends on ${defaultRefs.join(', ') || 'a skipped function'}: left out`,
        );
        columns.push({ ...c, default: null });
      } else columns.push(c);
      collect(c.type, c.default, c.generated);
    }
    if (broken) continue;
    const constraints = t.constraints.filter((k) => {
      if (k.type === 'foreign' && k.references) {
        const target = qualified(k.references);
        if (target === 'auth.users') {
          usesAuth = true;
          note(
            'info',
            `constraint ${name}.${k.name}`,
            'foreign key into auth.users kept: it points at the target auth shim, which db.copy / the auth migration fill',
          );
          return true;
        }
        if (!configured.has(k.references.schema)) {
          note(
            'warning',
            `constraint ${name}.${k.name}`,
            `foreign key into ${target}, which is not migrated: left out`,
          );
          return false;
        }
        return true;
      }
      const refs = unresolved(k.definition);
      if (refs.length > 0 || mentionsSkippedFunction(k.definition)) {
        note(
          'warning',
          `constraint ${name}.${k.name}`,
          `depends on ${refs.join(', ') || 'a skipped function'}: left out`,
        );
        return false;
      }
      collect(k.definition);
      return true;
    });
    const indexes = t.indexes.filter((i) => {
      const refs = unresolved(i.definition);
      if (refs.length > 0 || mentionsSkippedFunction(i.definition)) {
        note(
          'warning',
          `index ${t.schema}.${i.name}`,
          `depends on ${refs.join(', ') || 'a skipped function'}: left out`,
        );
        return false;
      }
      collect(i.definition);
      return true;
    });
    const triggers = t.triggers.filter((tg) => {
      const fn = qualified(tg.function);
      if (
        skippedFunctions.has(fn) ||
        (!configured.has(tg.function.schema) &&
          unresolved(`${tg.function.schema}.${tg.function.name}`).length > 0)
      ) {
        note('warning', `trigger ${name}.${tg.name}`, `its function ${fn} is not migrated: left out`);
        return false;
      }
      return true;
    });
    const policies = t.policies.filter((p) => {
      const refs = unresolved(p.using, p.withCheck);
      const policyInternalRoles = p.roles.filter((r) => internalRoles.has(r));
      if (refs.length > 0 || mentionsSkippedFunction(p.using) || mentionsSkippedFunction(p.withCheck)) {
        note(
          'warning',
          `policy ${name}."${p.name}"`,
          `depends on ${unavailable} ${refs.join(', ') || 'function'}: left out`,
        );
        return false;
      }
      if (policyInternalRoles.length > 0) {
        note(
          'warning',
          `policy ${name}."${p.name}"`,
          `applies to Supabase-internal role(s) ${policyInternalRoles.join(', ')}: left out`,
        );
        return false;
      }
      if (/\bauth\.(uid|jwt|role|email)\(\)/.test(`${p.using ?? ''} ${p.withCheck ?? ''}`)) {
        note(
          'info',
          `policy ${name}."${p.name}"`,
          'kept: auth.uid()/auth.jwt() read the request.jwt.claims setting the app sets per transaction',
        );
      }
      collect(p.using, p.withCheck);
      return true;
    });
    if (!constraints.some((k) => k.type === 'primary')) {
      note(
        'warning',
        `table ${name}`,
        'has no primary key: copied and verified by a whole-table hash; its changes cannot be captured by key',
      );
    }
    keptTables.push({ ...t, columns, constraints, indexes, triggers, policies });
    keptTableNames.add(name);
  }

  // Views, in dependency order ---------------------------------------------------------------------
  const keptViews: ViewInfo[] = [];
  const skippedViews = new Set<string>();
  const byName = new Map(model.views.map((v) => [qualified(v), v]));
  const visiting = new Set<string>();
  const done = new Set<string>();
  const visit = (v: ViewInfo) => {
    const name = qualified(v);
    if (done.has(name) || visiting.has(name)) return;
    visiting.add(name);
    for (const dep of v.dependsOn) {
      const d = byName.get(dep);
      if (d) visit(d);
    }
    visiting.delete(name);
    done.add(name);
    const refs = unresolved(v.definition);
    const skippedDep = v.dependsOn.find(
      (d) => skippedViews.has(d) || (!byName.has(d) && !configured.has(d.split('.')[0] as string)),
    );
    if (refs.length > 0 || skippedDep || mentionsSkippedFunction(v.definition)) {
      note(
        'warning',
        `view ${name}`,
        `depends on ${refs.join(', ') || skippedDep || 'a skipped function'}: left out`,
      );
      skippedViews.add(name);
      return;
    }
    collect(v.definition);
    keptViews.push(v);
  };
  for (const v of model.views) visit(v);

  // Roles ------------------------------------------------------------------------------------------
  const rolesNeeded = new Set<string>();
  const keepGrants = (grants: Grant[] | null): Grant[] | null => {
    if (grants === null) return null;
    noteInternal(grants);
    return grants.filter((g) => {
      if (g.grantee === 'PUBLIC') return true;
      if (internalRoles.has(g.grantee)) return false;
      rolesNeeded.add(g.grantee);
      return true;
    });
  };
  const internalGrantees = new Set<string>();
  const noteInternal = (grants: Grant[] | null) => {
    for (const g of grants ?? []) if (internalRoles.has(g.grantee)) internalGrantees.add(g.grantee);
  };
  const schemas = model.schemas
    .filter((s) => configured.has(s.name))
    .map((s) => ({ ...s, grants: keepGrants(s.grants) }));
  const tables = keptTables.map((t) => ({ ...t, grants: keepGrants(t.grants) }));
  const views = keptViews.map((v) => ({ ...v, grants: keepGrants(v.grants) }));
  const functions = keptFunctions.map((f) => ({ ...f, grants: keepGrants(f.grants) }));
  const sequences = model.sequences.map((s) => ({ ...s, grants: keepGrants(s.grants) }));
  for (const t of tables)
    for (const p of t.policies) for (const r of p.roles) if (r !== 'PUBLIC') rolesNeeded.add(r);
  if (internalGrantees.size > 0) {
    note(
      'info',
      'grants',
      `grants to Supabase-internal role(s) ${[...internalGrantees].sort().join(', ')} left out`,
    );
  }
  const authShim = usesAuth || model.allSchemas.includes('auth');
  if (authShim) for (const r of SUPABASE_API_ROLES) rolesNeeded.add(r);

  // Extensions -------------------------------------------------------------------------------------
  const text = allText.join('\n');
  const requiredExtensions: { name: string; schema: string }[] = [];
  const optionalExtensions: { name: string; schema: string }[] = [];
  for (const e of model.extensions) {
    const used = e.members.some(
      (m) => text.includes(`${e.schema}.${m}`) || text.includes(`${e.schema}."${m}"`),
    );
    if (internalExtensions.has(e.name) && !used) {
      note('info', `extension ${e.name}`, 'serves Supabase itself: skipped');
    } else if (used) {
      requiredExtensions.push({ name: e.name, schema: e.schema });
      note('info', `extension ${e.name}`, `used by the migrated schema: created in schema ${e.schema}`);
    } else {
      optionalExtensions.push({ name: e.name, schema: e.schema });
      note(
        'info',
        `extension ${e.name}`,
        'not used by the migrated schema: created when the target offers it',
      );
    }
  }

  // Statements -------------------------------------------------------------------------------------
  const pre: Statement[] = [];
  const post: Statement[] = [];

  for (const role of [...rolesNeeded].sort()) {
    if ((SUPABASE_API_ROLES as readonly string[]).includes(role)) {
      pre.push(...apiRoleStatements(role));
      note(
        'info',
        `role ${role}`,
        'Supabase API role: created as a NOLOGIN role; the app switches to it with SET LOCAL ROLE',
      );
    } else {
      pre.push({
        key: `role ${role}`,
        kind: 'role',
        sql: `CREATE ROLE ${quoteIdent(role)} NOLOGIN`,
        existsSql: roleExists(role),
        creates: { kind: 'role', name: quoteIdent(role) },
      });
      note(
        'info',
        `role ${role}`,
        'named by grants or policies: created as a NOLOGIN role when missing (grant it to your login roles)',
      );
    }
  }

  const schemaNames = new Set([
    ...schemas.map((s) => s.name),
    ...[...requiredExtensions, ...optionalExtensions].map((e) => e.schema),
  ]);
  for (const s of [...schemaNames].sort()) {
    pre.push({
      key: `schema ${s}`,
      kind: 'schema',
      sql: `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(s)}`,
      existsSql: schemaExists(s),
      creates: { kind: 'schema', name: quoteIdent(s) },
    });
  }
  for (const e of [...requiredExtensions, ...optionalExtensions]) {
    pre.push({
      key: `extension ${e.name}`,
      kind: 'extension',
      sql: `CREATE EXTENSION IF NOT EXISTS ${quoteIdent(e.name)} WITH SCHEMA ${quoteIdent(e.schema)}`,
      existsSql: extensionExists(e.name),
      creates: { kind: 'extension', name: quoteIdent(e.name) },
    });
  }
  for (const t of keptTypes) {
    const q = qualifiedIdent(t.schema, t.name);
    const sql =
      t.kind === 'enum'
        ? `CREATE TYPE ${q} AS ENUM (${t.labels.map((l) => `'${l.replace(/'/g, "''")}'`).join(', ')})`
        : t.kind === 'domain'
          ? [
              `CREATE DOMAIN ${q} AS ${t.baseType}`,
              t.collation ? `COLLATE ${t.collation}` : '',
              t.default !== null ? `DEFAULT ${t.default}` : '',
              t.notNull ? 'NOT NULL' : '',
              ...t.constraints.map((c) => `CONSTRAINT ${quoteIdent(c.name)} ${c.definition}`),
            ]
              .filter(Boolean)
              .join(' ')
          : `CREATE TYPE ${q} AS (${t.attributes.map((a) => `${quoteIdent(a.name)} ${a.type}${a.collation ? ` COLLATE ${a.collation}` : ''}`).join(', ')})`;
    pre.push({
      key: `type ${qualified(t)}`,
      kind: 'type',
      sql,
      existsSql: typeExists(t.schema, t.name),
      creates: { kind: t.kind === 'domain' ? 'domain' : 'type', name: q },
    });
  }
  if (authShim) {
    pre.push(...authShimStatements());
    note(
      'info',
      'auth.users',
      'created as a shim (id, email, phone, metadata, timestamps; no password hashes) for foreign keys and the auth migration',
    );
  }
  for (const s of sequences) {
    pre.push({
      key: `sequence ${qualified(s)}`,
      kind: 'sequence',
      sql: `CREATE SEQUENCE IF NOT EXISTS ${qualifiedIdent(s.schema, s.name)} AS ${s.dataType} INCREMENT BY ${s.increment} MINVALUE ${s.min} MAXVALUE ${s.max} START WITH ${s.start} CACHE ${s.cache}${s.cycle ? ' CYCLE' : ' NO CYCLE'}`,
      existsSql: relationExists(s.schema, s.name),
      creates: { kind: 'sequence', name: qualifiedIdent(s.schema, s.name) },
    });
  }
  const functionStatement = (f: FunctionInfo): Statement => {
    const signature = `${qualifiedIdent(f.schema, f.name)}(${f.identityArguments})`;
    return {
      key: `function ${qualified(f)}(${f.identityArguments})`,
      kind: 'function',
      sql: f.definition,
      existsSql: functionExists(f.schema, f.name, f.identityArguments),
      creates: { kind: f.kind === 'procedure' ? 'procedure' : 'function', name: signature },
    };
  };
  for (const f of functions.filter((x) => !x.usesRowTypes)) pre.push(functionStatement(f));
  for (const t of tables) {
    const q = qualifiedIdent(t.schema, t.name);
    const lines = t.columns.map(columnSql);
    for (const k of t.constraints.filter((c) => c.type === 'primary' && !keyBuiltAfterLoad(t, c)))
      lines.push(`CONSTRAINT ${quoteIdent(k.name)} ${k.definition}`);
    pre.push({
      key: `table ${qualified(t)}`,
      kind: 'table',
      sql: `CREATE ${t.unlogged ? 'UNLOGGED ' : ''}TABLE IF NOT EXISTS ${q} (\n  ${lines.join(',\n  ')}\n)`,
      existsSql: relationExists(t.schema, t.name),
      creates: { kind: 'table', name: q },
      table: qualified(t),
    });
  }
  for (const s of sequences) {
    if (!s.ownedBy) continue;
    pre.push({
      key: `sequence ${qualified(s)} owned by ${s.ownedBy.table}.${s.ownedBy.column}`,
      kind: 'sequence-owner',
      sql: `ALTER SEQUENCE ${qualifiedIdent(s.schema, s.name)} OWNED BY ${s.ownedBy.table}.${quoteIdent(s.ownedBy.column)}`,
      existsSql: `SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.deptype = 'a' AND d.objid = pg_catalog.to_regclass(${quoteLiteral(qualifiedIdent(s.schema, s.name))}) AND d.refobjid = pg_catalog.to_regclass(${quoteLiteral(s.ownedBy.table)}) AND d.refobjsubid = (SELECT a.attnum FROM pg_catalog.pg_attribute a WHERE a.attrelid = pg_catalog.to_regclass(${quoteLiteral(s.ownedBy.table)}) AND a.attname = ${quoteLiteral(s.ownedBy.column)})`,
    });
  }
  for (const f of functions.filter((x) => x.usesRowTypes)) pre.push(functionStatement(f));
  for (const v of views) {
    const q = qualifiedIdent(v.schema, v.name);
    const withOptions = v.options.length > 0 ? ` WITH (${v.options.join(', ')})` : '';
    pre.push({
      key: `${v.materialized ? 'materialized view' : 'view'} ${qualified(v)}`,
      kind: 'view',
      sql: v.materialized
        ? `CREATE MATERIALIZED VIEW IF NOT EXISTS ${q}${withOptions} AS ${v.definition} WITH NO DATA`
        : `CREATE OR REPLACE VIEW ${q}${withOptions} AS ${v.definition}`,
      existsSql: relationExists(v.schema, v.name),
      creates: { kind: v.materialized ? 'materialized view' : 'view', name: q },
    });
    if (v.materialized) {
      post.push({
        key: `refresh ${qualified(v)}`,
        kind: 'refresh',
        sql: `REFRESH MATERIALIZED VIEW ${q}`,
        table: qualified(v),
      });
    }
  }

  // Grants: one statement per object and grantee, guarded by the object's ACL.
  const grantSql = (objectSql: string, objectKey: string, source: AclSource, grants: Grant[] | null) => {
    const byGrantee = new Map<string, Grant[]>();
    for (const g of grants ?? [])
      byGrantee.set(`${g.grantee}\u0000${g.grantable}`, [
        ...(byGrantee.get(`${g.grantee}\u0000${g.grantable}`) ?? []),
        g,
      ]);
    for (const group of byGrantee.values()) {
      const first = group[0] as Grant;
      const privileges = group.map((g) => g.privilege).sort();
      const grantee = first.grantee === 'PUBLIC' ? 'PUBLIC' : quoteIdent(first.grantee);
      pre.push({
        key: `grant ${privileges.join(', ')} on ${objectKey} to ${first.grantee}`,
        kind: 'grant',
        sql: `GRANT ${privileges.join(', ')} ON ${objectSql} TO ${grantee}${first.grantable ? ' WITH GRANT OPTION' : ''}`,
        existsSql: grantExists(source, first.grantee, privileges),
      });
    }
  };
  for (const s of schemas)
    grantSql(`SCHEMA ${quoteIdent(s.name)}`, `schema ${s.name}`, schemaAcl(s.name), s.grants);
  for (const t of tables)
    grantSql(
      `TABLE ${qualifiedIdent(t.schema, t.name)}`,
      qualified(t),
      relationAcl(t.schema, t.name),
      t.grants,
    );
  for (const v of views)
    grantSql(
      `TABLE ${qualifiedIdent(v.schema, v.name)}`,
      qualified(v),
      relationAcl(v.schema, v.name),
      v.grants,
    );
  for (const s of sequences)
    grantSql(
      `SEQUENCE ${qualifiedIdent(s.schema, s.name)}`,
      qualified(s),
      relationAcl(s.schema, s.name),
      s.grants,
    );
  for (const f of functions) {
    if (f.grants === null) continue;
    const target = `${f.kind === 'procedure' ? 'PROCEDURE' : 'FUNCTION'} ${qualifiedIdent(f.schema, f.name)}(${f.identityArguments})`;
    const source = functionAcl(f.schema, f.name, f.identityArguments);
    if (!f.grants.some((g) => g.grantee === 'PUBLIC')) {
      pre.push({
        key: `revoke public on ${qualified(f)}(${f.identityArguments})`,
        kind: 'grant',
        sql: `REVOKE ALL ON ${target} FROM PUBLIC`,
        existsSql: publicRevoked(source),
      });
    }
    grantSql(target, `${qualified(f)}(${f.identityArguments})`, source, f.grants);
  }

  // Post-load: indexes and unique/exclusion/check constraints (per table), then foreign keys, triggers, RLS.
  for (const t of tables) {
    const q = qualifiedIdent(t.schema, t.name);
    for (const i of t.indexes) {
      post.push({
        key: `index ${t.schema}.${i.name}`,
        kind: 'index',
        sql: i.definition.replace(/^CREATE (UNIQUE )?INDEX /, 'CREATE $1INDEX IF NOT EXISTS '),
        existsSql: relationExists(t.schema, i.name),
        table: qualified(t),
      });
    }
    // Primary keys and unique constraints: their index first, built side by side with the table's other
    // indexes (CREATE INDEX takes a SHARE lock, which does not conflict with itself), then the constraint
    // adopts it (USING INDEX: a catalog change, no second build). ADD CONSTRAINT alone would build the
    // index under an ACCESS EXCLUSIVE lock, one after another.
    for (const k of t.constraints.filter((c) => keyBuiltAfterLoad(t, c))) {
      post.push({
        key: `index ${t.schema}.${k.name}`,
        kind: 'index',
        sql: (k.indexDefinition ?? '').replace(/^CREATE UNIQUE INDEX /, 'CREATE UNIQUE INDEX IF NOT EXISTS '),
        existsSql: relationExists(t.schema, k.name),
        table: qualified(t),
        backsKey: true,
      });
      post.push({
        key: `constraint ${qualified(t)}.${k.name}`,
        kind: 'constraint',
        sql: `ALTER TABLE ${q} ADD CONSTRAINT ${quoteIdent(k.name)} ${k.type === 'primary' ? 'PRIMARY KEY' : 'UNIQUE'} USING INDEX ${quoteIdent(k.name)}`,
        existsSql: constraintExists(t.schema, t.name, k.name),
        table: qualified(t),
      });
    }
    for (const k of t.constraints.filter(
      (c) =>
        (c.type === 'unique' && !keyBuiltAfterLoad(t, c)) || c.type === 'exclusion' || c.type === 'check',
    )) {
      post.push({
        key: `constraint ${qualified(t)}.${k.name}`,
        kind: 'constraint',
        sql: `ALTER TABLE ${q} ADD CONSTRAINT ${quoteIdent(k.name)} ${k.definition}`,
        existsSql: constraintExists(t.schema, t.name, k.name),
        table: qualified(t),
      });
    }
  }
  for (const t of tables) {
    for (const k of t.constraints.filter((c) => c.type === 'foreign')) {
      post.push({
        key: `foreign key ${qualified(t)}.${k.name}`,
        kind: 'foreign-key',
        sql: `ALTER TABLE ${qualifiedIdent(t.schema, t.name)} ADD CONSTRAINT ${quoteIdent(k.name)} ${k.definition}`,
        existsSql: constraintExists(t.schema, t.name, k.name),
        table: qualified(t),
        ...(k.references ? { references: qualified(k.references) } : {}),
      });
    }
  }
  for (const t of tables) {
    const q = qualifiedIdent(t.schema, t.name);
    for (const tg of t.triggers) {
      post.push({
        key: `trigger ${qualified(t)}.${tg.name}`,
        kind: 'trigger',
        sql: tg.definition,
        existsSql: triggerExists(t.schema, t.name, tg.name),
        table: qualified(t),
      });
    }
    if (t.rowSecurity) {
      post.push({
        key: `row security ${qualified(t)}`,
        kind: 'row-security',
        sql: `ALTER TABLE ${q} ENABLE ROW LEVEL SECURITY`,
        existsSql: rowSecurityOn(t.schema, t.name, false),
        table: qualified(t),
      });
    }
    if (t.forceRowSecurity) {
      post.push({
        key: `force row security ${qualified(t)}`,
        kind: 'row-security',
        sql: `ALTER TABLE ${q} FORCE ROW LEVEL SECURITY`,
        existsSql: rowSecurityOn(t.schema, t.name, true),
        table: qualified(t),
      });
    }
    for (const p of t.policies) {
      const roles = p.roles.map((r) => (r === 'PUBLIC' ? 'PUBLIC' : quoteIdent(r))).join(', ');
      post.push({
        key: `policy ${qualified(t)}."${p.name}"`,
        kind: 'policy',
        sql: [
          `CREATE POLICY ${quoteIdent(p.name)} ON ${q} AS ${p.permissive ? 'PERMISSIVE' : 'RESTRICTIVE'} FOR ${p.command} TO ${roles || 'PUBLIC'}`,
          p.using !== null ? `USING (${p.using})` : '',
          p.withCheck !== null ? `WITH CHECK (${p.withCheck})` : '',
        ]
          .filter(Boolean)
          .join(' '),
        existsSql: policyExists(t.schema, t.name, p.name),
        table: qualified(t),
      });
    }
  }
  // Refreshes come last: a materialized view may read tables whose constraints were just built.
  post.sort((a, b) => Number(a.kind === 'refresh') - Number(b.kind === 'refresh'));

  const copyTables: CopyTable[] = tables.map((t) => {
    const pk = t.constraints.find((c) => c.type === 'primary');
    return {
      schema: t.schema,
      name: t.name,
      columns: t.columns.filter((c) => c.generated === null).map((c) => c.name),
      primaryKey: pk ? parseKeyColumns(pk.definition) : null,
      identityAlways: t.columns.filter((c) => c.identity === 'always').map((c) => c.name),
    };
  });

  const kept: SchemaModel = {
    ...model,
    schemas,
    types: keptTypes,
    sequences,
    tables,
    views,
    functions,
    extensions: model.extensions.filter((e) =>
      [...requiredExtensions, ...optionalExtensions].some((x) => x.name === e.name),
    ),
    roles: model.roles.filter((r) => rolesNeeded.has(r.name)),
  };
  return {
    preLoad: pre,
    postLoad: post,
    report,
    kept,
    copyTables,
    requiredExtensions,
    optionalExtensions,
    authShim,
    sequences: model.sequences.map((s) => ({ schema: s.schema, name: s.name, lastValue: s.lastValue })),
  };
}

function columnSql(c: ColumnInfo): string {
  const parts = [quoteIdent(c.name), c.type];
  if (c.collation) parts.push(`COLLATE ${c.collation}`);
  if (c.identity) {
    const s = c.identitySequence;
    const options = s
      ? ` (START WITH ${s.start} INCREMENT BY ${s.increment} MINVALUE ${s.min} MAXVALUE ${s.max} CACHE ${s.cache}${s.cycle ? ' CYCLE' : ' NO CYCLE'})`
      : '';
    parts.push(`GENERATED ${c.identity === 'always' ? 'ALWAYS' : 'BY DEFAULT'} AS IDENTITY${options}`);
  }
  if (c.generated !== null) parts.push(`GENERATED ALWAYS AS (${c.generated}) STORED`);
  if (c.default !== null) parts.push(`DEFAULT ${c.default}`);
  if (c.notNull) parts.push('NOT NULL');
  return parts.join(' ');
}

/** "PRIMARY KEY (bot_id, user_id)" -> ["bot_id", "user_id"] (quoted names unquoted). */
export function parseKeyColumns(definition: string): string[] {
  const inner = /\((.*)\)/.exec(definition)?.[1] ?? '';
  const out: string[] = [];
  for (const m of inner.matchAll(/"((?:[^"]|"")*)"|([^,\s]+)/g))
    out.push(m[1] !== undefined ? m[1].replace(/""/g, '"') : (m[2] as string));
  return out;
}
