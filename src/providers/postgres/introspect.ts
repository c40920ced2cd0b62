import type { Json } from '../../core/contracts.js';
import type {
  ColumnInfo,
  CompositeType,
  ConstraintInfo,
  DomainType,
  EnumType,
  ExtensionInfo,
  FunctionInfo,
  Grant,
  IndexInfo,
  PolicyInfo,
  SchemaInfo,
  SchemaModel,
  SequenceInfo,
  TableInfo,
  TriggerInfo,
  UserType,
  ViewInfo,
} from './schema-model.js';

// Reads a schema model from pg_catalog. The same code introspects the source and, for the schema diff,
// the target (directly or through the RDS Data API), so it only needs `query` and `transaction`, and
// every value it reads is text or JSON text: transports disagree on how they type numbers and json.
// All reads run in one transaction with an empty search_path, so pg_get_*def() qualifies every name.

export interface CatalogRow {
  [column: string]: Json;
}

export interface CatalogReader {
  query(sql: string, params?: (string | null)[]): Promise<{ rows: CatalogRow[] }>;
}

export interface CatalogSession {
  transaction<T>(work: (tx: CatalogReader) => Promise<T>): Promise<T>;
}

/** Supabase (and Postgres) schemas that never hold application data. */
const SYSTEM_SCHEMAS = `n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'`;

const IN_SCHEMAS = (column: string) => `${column} IN (SELECT jsonb_array_elements_text($1::jsonb))`;

const NOT_EXTENSION_MEMBER = (catalog: string, oid: string) =>
  `NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = '${catalog}'::regclass AND d.objid = ${oid} AND d.deptype = 'e')`;

/** JSON text of an ACL's entries, minus the owner's own (implicit) rights; NULL for the default ACL. */
const GRANTS = (acl: string, owner: string) => `CASE WHEN ${acl} IS NULL THEN NULL ELSE coalesce((
  SELECT json_agg(json_build_object(
           'grantee', CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END,
           'privilege', a.privilege_type, 'grantable', a.is_grantable)
         ORDER BY a.grantee, a.privilege_type)
    FROM aclexplode(${acl}) a WHERE a.grantee <> ${owner}), '[]')::text END`;

const str = (v: Json | undefined): string => (v === null || v === undefined ? '' : String(v));
const strOrNull = (v: Json | undefined): string | null => (v === null || v === undefined ? null : String(v));
const bool = (v: Json | undefined): boolean => v === true || v === 't' || v === 'true';
const parse = <T>(v: Json | undefined, fallback: T): T => {
  if (v === null || v === undefined) return fallback;
  if (typeof v === 'string') return JSON.parse(v) as T;
  return v as unknown as T;
};

export async function introspectSchema(db: CatalogSession, schemas: string[]): Promise<SchemaModel> {
  const wanted = JSON.stringify(schemas);
  return db.transaction(async (tx) => {
    await tx.query(`SELECT set_config('search_path', '', true)`);
    const q = (sql: string, params: (string | null)[] = [wanted]) =>
      tx.query(sql, params).then((r) => r.rows);

    const [version] = await q(`SELECT current_setting('server_version_num') AS v`, []);
    const allSchemas = (
      await q(`SELECT n.nspname FROM pg_namespace n WHERE ${SYSTEM_SCHEMAS} ORDER BY 1`, [])
    ).map((r) => str(r.nspname));

    const schemaRows = await q(
      `SELECT n.nspname AS name, ${GRANTS('n.nspacl', 'n.nspowner')} AS grants
         FROM pg_namespace n WHERE ${IN_SCHEMAS('n.nspname')} ORDER BY 1`,
    );
    const schemaInfos: SchemaInfo[] = schemaRows.map((r) => ({
      name: str(r.name),
      grants: parse<Grant[] | null>(r.grants, null),
    }));

    const extensions: ExtensionInfo[] = (
      await q(
        `SELECT e.extname AS name, n.nspname AS schema, e.extversion AS version,
                coalesce((SELECT json_agg(DISTINCT m.name) FROM (
                   SELECT p.proname::text AS name FROM pg_depend d JOIN pg_proc p ON p.oid = d.objid
                    WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = e.oid AND d.deptype = 'e' AND d.classid = 'pg_proc'::regclass
                   UNION ALL
                   SELECT t.typname::text FROM pg_depend d JOIN pg_type t ON t.oid = d.objid
                    WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = e.oid AND d.deptype = 'e' AND d.classid = 'pg_type'::regclass
                   UNION ALL
                   SELECT o.opcname::text FROM pg_depend d JOIN pg_opclass o ON o.oid = d.objid
                    WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = e.oid AND d.deptype = 'e' AND d.classid = 'pg_opclass'::regclass
                 ) m), '[]')::text AS members
           FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
          WHERE e.extname <> 'plpgsql' ORDER BY e.extname`,
        [],
      )
    ).map((r) => ({
      name: str(r.name),
      schema: str(r.schema),
      version: str(r.version),
      members: parse<string[]>(r.members, []),
    }));

    const types: UserType[] = [];
    for (const r of await q(
      `SELECT n.nspname AS schema, t.typname AS name,
              (SELECT json_agg(e.enumlabel ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid)::text AS labels
         FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE t.typtype = 'e' AND ${IN_SCHEMAS('n.nspname')} AND ${NOT_EXTENSION_MEMBER('pg_type', 't.oid')}
        ORDER BY t.oid`,
    )) {
      types.push({
        kind: 'enum',
        schema: str(r.schema),
        name: str(r.name),
        labels: parse<string[]>(r.labels, []),
      } satisfies EnumType);
    }
    for (const r of await q(
      `SELECT t.typtype AS kind, n.nspname AS schema, t.typname AS name,
              format_type(t.typbasetype, t.typtypmod) AS base, t.typnotnull AS not_null, t.typdefault AS dflt,
              (SELECT quote_ident(cn.nspname) || '.' || quote_ident(co.collname) FROM pg_collation co
                 JOIN pg_namespace cn ON cn.oid = co.collnamespace
                WHERE co.oid = t.typcollation AND t.typcollation <> (SELECT b.typcollation FROM pg_type b WHERE b.oid = t.typbasetype)) AS coll,
              (SELECT json_agg(json_build_object('name', c.conname, 'definition', pg_get_constraintdef(c.oid)) ORDER BY c.conname)
                 FROM pg_constraint c WHERE c.contypid = t.oid)::text AS constraints,
              (SELECT json_agg(json_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod),
                        'collation', CASE WHEN a.attcollation <> at.typcollation THEN
                           (SELECT quote_ident(cn.nspname) || '.' || quote_ident(co.collname) FROM pg_collation co
                              JOIN pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = a.attcollation) END)
                      ORDER BY a.attnum)
                 FROM pg_attribute a JOIN pg_type at ON at.oid = a.atttypid
                WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped)::text AS attributes
         FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE ${IN_SCHEMAS('n.nspname')} AND ${NOT_EXTENSION_MEMBER('pg_type', 't.oid')}
          AND (t.typtype = 'd' OR (t.typtype = 'c' AND (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c'))
        ORDER BY t.oid`,
    )) {
      if (r.kind === 'd') {
        types.push({
          kind: 'domain',
          schema: str(r.schema),
          name: str(r.name),
          baseType: str(r.base),
          notNull: bool(r.not_null),
          default: strOrNull(r.dflt),
          collation: strOrNull(r.coll),
          constraints: parse(r.constraints, []),
        } satisfies DomainType);
      } else {
        types.push({
          kind: 'composite',
          schema: str(r.schema),
          name: str(r.name),
          attributes: parse(r.attributes, []),
        } satisfies CompositeType);
      }
    }

    const sequences: SequenceInfo[] = (
      await q(
        `SELECT n.nspname AS schema, c.relname AS name, format_type(s.seqtypid, NULL) AS data_type,
                s.seqstart::text AS start, s.seqincrement::text AS inc, s.seqmin::text AS min, s.seqmax::text AS max,
                s.seqcache::text AS cache, s.seqcycle AS cycle, ps.last_value::text AS last_value,
                (SELECT json_build_object('table', quote_ident(tn.nspname) || '.' || quote_ident(tc.relname), 'column', a.attname)
                   FROM pg_depend d JOIN pg_class tc ON tc.oid = d.refobjid JOIN pg_namespace tn ON tn.oid = tc.relnamespace
                   JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                  WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'a'
                    AND d.refclassid = 'pg_class'::regclass)::text AS owned_by,
                ${GRANTS('c.relacl', 'c.relowner')} AS grants
           FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid JOIN pg_namespace n ON n.oid = c.relnamespace
           LEFT JOIN pg_sequences ps ON ps.schemaname = n.nspname AND ps.sequencename = c.relname
          WHERE ${IN_SCHEMAS('n.nspname')} AND ${NOT_EXTENSION_MEMBER('pg_class', 'c.oid')}
            AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'i')
          ORDER BY n.nspname, c.relname`,
      )
    ).map((r) => ({
      schema: str(r.schema),
      name: str(r.name),
      dataType: str(r.data_type),
      start: str(r.start),
      increment: str(r.inc),
      min: str(r.min),
      max: str(r.max),
      cache: str(r.cache),
      cycle: bool(r.cycle),
      lastValue: strOrNull(r.last_value),
      ownedBy: parse(r.owned_by, null),
      grants: parse<Grant[] | null>(r.grants, null),
    }));

    const tables: TableInfo[] = (
      await q(
        `SELECT n.nspname AS schema, c.relname AS name, c.relpersistence = 'u' AS unlogged, c.relkind = 'p' AS partitioned,
                c.relrowsecurity AS rls, c.relforcerowsecurity AS force_rls, c.reltuples::bigint::text AS est,
                (SELECT json_agg(json_build_object(
                    'name', a.attname, 'type', format_type(a.atttypid, a.atttypmod), 'notNull', a.attnotnull,
                    'default', CASE WHEN a.attgenerated = '' THEN pg_get_expr(d.adbin, d.adrelid) END,
                    'generated', CASE WHEN a.attgenerated <> '' THEN pg_get_expr(d.adbin, d.adrelid) END,
                    'identity', CASE a.attidentity WHEN 'a' THEN 'always' WHEN 'd' THEN 'by default' END,
                    'identitySequence', CASE WHEN a.attidentity <> '' THEN (
                       SELECT json_build_object('start', s.seqstart::text, 'increment', s.seqincrement::text, 'min', s.seqmin::text,
                                                'max', s.seqmax::text, 'cache', s.seqcache::text, 'cycle', s.seqcycle)
                         FROM pg_depend sd JOIN pg_sequence s ON s.seqrelid = sd.objid
                        WHERE sd.classid = 'pg_class'::regclass AND sd.refobjid = c.oid AND sd.refobjsubid = a.attnum AND sd.deptype = 'i') END,
                    'collation', CASE WHEN a.attcollation <> t.typcollation THEN (
                       SELECT quote_ident(cn.nspname) || '.' || quote_ident(co.collname) FROM pg_collation co
                         JOIN pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = a.attcollation) END)
                  ORDER BY a.attnum)
                   FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
                   LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                  WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped)::text AS columns,
                (SELECT json_agg(json_build_object('name', co.conname, 'type', co.contype, 'definition', pg_get_constraintdef(co.oid),
                    'references', CASE WHEN co.contype = 'f' THEN json_build_object('schema', rn.nspname, 'name', rc.relname) END,
                    'deferrable', co.condeferrable,
                    'indexDefinition', CASE WHEN co.contype IN ('p', 'u') AND co.conindid <> 0 THEN pg_get_indexdef(co.conindid) END,
                    'neededByViews', EXISTS (SELECT 1 FROM pg_depend vd WHERE vd.classid = 'pg_rewrite'::regclass
                                              AND vd.refclassid = 'pg_constraint'::regclass AND vd.refobjid = co.oid))
                  ORDER BY co.conname)
                   FROM pg_constraint co LEFT JOIN pg_class rc ON rc.oid = co.confrelid LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace
                  WHERE co.conrelid = c.oid AND co.contype IN ('p', 'u', 'c', 'f', 'x'))::text AS constraints,
                (SELECT json_agg(json_build_object('name', ic.relname, 'definition', pg_get_indexdef(i.indexrelid), 'unique', i.indisunique)
                         ORDER BY ic.relname)
                   FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
                  WHERE i.indrelid = c.oid AND NOT EXISTS (
                    SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = c.oid AND k.contype IN ('p', 'u', 'x')))::text AS indexes,
                (SELECT json_agg(json_build_object('name', tg.tgname, 'definition', pg_get_triggerdef(tg.oid),
                    'function', json_build_object('schema', pn.nspname, 'name', p.proname)) ORDER BY tg.tgname)
                   FROM pg_trigger tg JOIN pg_proc p ON p.oid = tg.tgfoid JOIN pg_namespace pn ON pn.oid = p.pronamespace
                  WHERE tg.tgrelid = c.oid AND NOT tg.tgisinternal)::text AS triggers,
                (SELECT json_agg(json_build_object('name', po.polname,
                    'command', CASE po.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE' WHEN 'd' THEN 'DELETE' ELSE 'ALL' END,
                    'permissive', po.polpermissive,
                    'roles', (SELECT coalesce(json_agg(CASE WHEN r = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(r) END ORDER BY r), '[]')
                                FROM unnest(po.polroles) r),
                    'using', pg_get_expr(po.polqual, po.polrelid), 'withCheck', pg_get_expr(po.polwithcheck, po.polrelid))
                  ORDER BY po.polname)
                   FROM pg_policy po WHERE po.polrelid = c.oid)::text AS policies,
                ${GRANTS('c.relacl', 'c.relowner')} AS grants
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND ${IN_SCHEMAS('n.nspname')}
            AND ${NOT_EXTENSION_MEMBER('pg_class', 'c.oid')}
          ORDER BY n.nspname, c.relname`,
      )
    ).map((r) => ({
      schema: str(r.schema),
      name: str(r.name),
      unlogged: bool(r.unlogged),
      partitioned: bool(r.partitioned),
      rowSecurity: bool(r.rls),
      forceRowSecurity: bool(r.force_rls),
      estimatedRows: Number(str(r.est) || '-1'),
      columns: parse<ColumnInfo[]>(r.columns, []),
      constraints: parse<(Omit<ConstraintInfo, 'type'> & { type: string })[]>(r.constraints, []).map((c) => ({
        ...c,
        type: CONSTRAINT_TYPES[c.type] ?? 'check',
      })),
      indexes: parse<IndexInfo[]>(r.indexes, []),
      triggers: parse<TriggerInfo[]>(r.triggers, []),
      policies: parse<PolicyInfo[]>(r.policies, []),
      grants: parse<Grant[] | null>(r.grants, null),
    }));

    const views: ViewInfo[] = (
      await q(
        `SELECT n.nspname AS schema, c.relname AS name, c.relkind = 'm' AS materialized,
                pg_get_viewdef(c.oid) AS definition,
                coalesce(array_to_json(c.reloptions), '[]')::text AS options,
                coalesce((SELECT json_agg(DISTINCT rn.nspname || '.' || rc.relname)
                   FROM pg_rewrite rw JOIN pg_depend dp ON dp.classid = 'pg_rewrite'::regclass AND dp.objid = rw.oid
                   JOIN pg_class rc ON rc.oid = dp.refobjid JOIN pg_namespace rn ON rn.oid = rc.relnamespace
                  WHERE rw.ev_class = c.oid AND dp.refobjid <> c.oid AND rc.relkind IN ('v', 'm')), '[]')::text AS depends_on,
                ${GRANTS('c.relacl', 'c.relowner')} AS grants
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relkind IN ('v', 'm') AND ${IN_SCHEMAS('n.nspname')} AND ${NOT_EXTENSION_MEMBER('pg_class', 'c.oid')}
          ORDER BY n.nspname, c.relname`,
      )
    ).map((r) => ({
      schema: str(r.schema),
      name: str(r.name),
      materialized: bool(r.materialized),
      definition: str(r.definition).trim().replace(/;$/, ''),
      options: parse<string[]>(r.options, []),
      dependsOn: parse<string[]>(r.depends_on, []),
      grants: parse<Grant[] | null>(r.grants, null),
    }));

    const functions: FunctionInfo[] = (
      await q(
        `SELECT n.nspname AS schema, p.proname AS name, pg_get_function_identity_arguments(p.oid) AS args,
                p.prokind AS kind, l.lanname AS language,
                CASE WHEN p.prokind IN ('f', 'p', 'w') THEN pg_get_functiondef(p.oid) ELSE '' END AS definition,
                EXISTS (SELECT 1 FROM pg_type t JOIN pg_class tc ON tc.oid = t.typrelid
                         WHERE (t.oid = p.prorettype OR t.oid = ANY (p.proargtypes::oid[]) OR t.oid = ANY (coalesce(p.proallargtypes, '{}')))
                           AND tc.relkind IN ('r', 'v', 'm', 'p')) AS uses_row_types,
                ${GRANTS('p.proacl', 'p.proowner')} AS grants
           FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang
          WHERE ${IN_SCHEMAS('n.nspname')} AND ${NOT_EXTENSION_MEMBER('pg_proc', 'p.oid')}
          ORDER BY n.nspname, p.proname, 3`,
      )
    ).map((r) => ({
      schema: str(r.schema),
      name: str(r.name),
      identityArguments: str(r.args),
      kind: FUNCTION_KINDS[str(r.kind)] ?? 'function',
      language: str(r.language),
      definition: str(r.definition).trim(),
      usesRowTypes: bool(r.uses_row_types),
      grants: parse<Grant[] | null>(r.grants, null),
    }));

    const roleNames = new Set<string>();
    const addGrantees = (grants: Grant[] | null) => {
      for (const g of grants ?? []) if (g.grantee !== 'PUBLIC') roleNames.add(g.grantee);
    };
    for (const s of schemaInfos) addGrantees(s.grants);
    for (const t of tables) {
      addGrantees(t.grants);
      for (const p of t.policies) for (const r of p.roles) if (r !== 'PUBLIC') roleNames.add(r);
    }
    for (const o of [...views, ...functions, ...sequences]) addGrantees(o.grants);
    const found = new Map(
      (
        await q(
          `SELECT rolname, rolcanlogin, rolbypassrls FROM pg_roles WHERE rolname IN (SELECT jsonb_array_elements_text($1::jsonb))`,
          [JSON.stringify([...roleNames])],
        )
      ).map((r) => [str(r.rolname), r]),
    );
    const roles = [...roleNames].sort().map((name) => {
      const r = found.get(name);
      return { name, login: bool(r?.rolcanlogin), bypassRls: bool(r?.rolbypassrls), exists: r !== undefined };
    });

    return {
      serverVersionNum: Number(str(version?.v)),
      schemas: schemaInfos,
      allSchemas,
      extensions,
      types,
      sequences,
      tables,
      views,
      functions,
      roles,
    };
  });
}

const CONSTRAINT_TYPES: Record<string, ConstraintInfo['type']> = {
  p: 'primary',
  u: 'unique',
  c: 'check',
  f: 'foreign',
  x: 'exclusion',
};

const FUNCTION_KINDS: Record<string, FunctionInfo['kind']> = {
  f: 'function',
  p: 'procedure',
  a: 'aggregate',
  w: 'window',
};
