import { z } from 'zod';
import { ANY_PARTITION_REGION } from './aws-regions.js';

// The shape of migrations.config.json. Strict objects everywhere: an unknown key is almost always a
// typo, and silently ignoring it would migrate with a setting the user thinks is on.

const url = (what: string, protocols: string[]) =>
  z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    { message: `expected a ${what} URL (${protocols.map((p) => `${p}//`).join(' or ')}...)` },
  );

const postgresUrl = url('PostgreSQL', ['postgres:', 'postgresql:']);
const httpUrl = url('HTTP(S)', ['http:', 'https:']);
const nonEmpty = z.string().min(1, { message: 'expected a non-empty string' });

/** Globs like "docs_*" are allowed in collection and bucket lists. */
const nameList = z.array(nonEmpty).min(1, { message: 'expected at least one name' });

export const awsRegion = z.string().regex(ANY_PARTITION_REGION, {
  message: 'expected an AWS region such as "eu-west-1" (the name matches no AWS partition)',
});

const supabaseSource = z.strictObject({
  dbUrl: postgresUrl.optional(),
  apiUrl: httpUrl.optional(),
  serviceRoleKey: nonEmpty.optional(),
  schemas: nameList.default(['public']),
  buckets: nameList.optional(),
  /**
   * How files are listed and read: 'db' lists storage.objects through dbUrl and reads bodies through the
   * Storage API; 'api' uses the Storage API alone; 's3' uses Supabase Storage's S3-compatible endpoint.
   * Without a mode: 'db' when dbUrl is set, else 'api'.
   */
  storage: z
    .strictObject({
      mode: z.enum(['db', 'api', 's3']).optional(),
      /** Objects per listing page. */
      pageSize: z.number().int().min(1).max(1000).default(500),
      s3Endpoint: httpUrl.optional(),
      s3AccessKeyId: nonEmpty.optional(),
      s3SecretAccessKey: nonEmpty.optional(),
      s3Region: nonEmpty.optional(),
    })
    .optional(),
});

/**
 * Any PostgreSQL 13+ as the database source (Neon, a self-hosted server, another RDS): the same copy,
 * verify and sync as a Supabase database, without Supabase's own parts (auth and storage schemas, its
 * roles, auth.uid()).
 */
const postgresSource = z.strictObject({
  url: postgresUrl,
  schemas: nameList.default(['public']),
});

/** A SQLite database file (issue 18): copied into the target's public schema; no change capture. */
const sqliteSource = z.strictObject({
  path: nonEmpty,
  /** How long a read waits for another process's write lock before the file counts as locked. */
  busyTimeoutMs: z.number().int().min(0).default(2000),
});

const qdrantSource = z.strictObject({
  url: httpUrl,
  apiKey: nonEmpty.optional(),
  collections: nameList.default(['*']),
  /** Payload field holding a last-modified time, for incremental passes. */
  watermarkField: nonEmpty.optional(),
  /** Points per scroll request; 1000 keeps reads to one request per 1,000 points. */
  scrollPageSize: z.number().int().min(1).max(10_000).default(1000),
  /** Per-request timeout for Qdrant calls. */
  requestTimeoutMs: z.number().int().positive().default(30_000),
  /** For collections with several named dense vectors: which one to migrate. */
  vectorName: nonEmpty.optional(),
  /** Skip sparse vectors (DynamoDB vector indexes are dense only) instead of refusing the plan. */
  ignoreSparseVectors: z.boolean().default(false),
});

const envVarName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, {
  message: 'expected an environment variable name (letters, digits, _)',
});

const vercelSource = z.strictObject({
  token: nonEmpty,
  projectId: nonEmpty,
  teamId: nonEmpty.optional(),
  apiUrl: httpUrl.default('https://api.vercel.com'),
  /** Which Vercel environment's variables become the Amplify production branch's. */
  envTarget: z.enum(['production', 'preview', 'development']).default('production'),
  /**
   * Vercel "sensitive" variables cannot be read back through the API: for each such key, the name of a
   * local environment variable holding its value, e.g. { "STRIPE_SECRET_KEY": "STRIPE_SECRET_KEY" }.
   */
  sensitiveFrom: z.record(envVarName, envVarName).default({}),
});

const renderSource = z.strictObject({
  apiKey: nonEmpty,
  serviceId: nonEmpty,
  apiUrl: httpUrl.default('https://api.render.com/v1'),
  /** Also read the env groups linked to the service. */
  envGroups: z.boolean().default(true),
});

const railwaySource = z.strictObject({
  /** Account or workspace token (Authorization: Bearer), or a project token (Project-Access-Token). */
  token: nonEmpty,
  tokenKind: z.enum(['account', 'project']).default('account'),
  projectId: nonEmpty,
  /** The service's name or id in the project. */
  service: nonEmpty,
  /** The environment's name or id whose variables, commands and domains are read. */
  environment: nonEmpty.default('production'),
  apiUrl: httpUrl.default('https://backboard.railway.com/graphql/v2'),
  /**
   * A variable that references another service (${{Postgres.DATABASE_URL}}) points at something that
   * stays on Railway: refused unless "resolve", which takes the value Railway renders for it.
   */
  serviceReferences: z.enum(['refuse', 'resolve']).default('refuse'),
});

const awsEndpoints = z.strictObject({
  cognito: httpUrl.optional(),
  dynamodb: httpUrl.optional(),
  s3: httpUrl.optional(),
  rdsData: httpUrl.optional(),
  /** The RDS control plane (db.instance provisions through it). */
  rds: httpUrl.optional(),
  amplify: httpUrl.optional(),
  secretsManager: httpUrl.optional(),
  ssm: httpUrl.optional(),
  lambda: httpUrl.optional(),
  route53: httpUrl.optional(),
  apigateway: httpUrl.optional(),
  iam: httpUrl.optional(),
  cloudwatch: httpUrl.optional(),
  sns: httpUrl.optional(),
  dms: httpUrl.optional(),
  /**
   * Where Amplify branch URLs (https://<branch>.<defaultDomain>) are reached, for a local stack: requests
   * go to this origin with the branch host kept in the Host header.
   */
  amplifyHosting: httpUrl.optional(),
});

const aws = z.strictObject({
  region: awsRegion,
  profile: nonEmpty.optional(),
  /** Explicit keys, for local stacks; otherwise the SDK's default chain (env, profile, role). */
  credentials: z
    .strictObject({ accessKeyId: nonEmpty, secretAccessKey: nonEmpty, sessionToken: nonEmpty.optional() })
    .optional(),
  endpoints: awsEndpoints.default({}),
  /** Per-call timeout and retry budget for every AWS call. */
  requestTimeoutMs: z.number().int().positive().default(30_000),
  maxAttempts: z.number().int().min(1).max(20).default(6),
});

const passwordPolicy = z.strictObject({
  minimumLength: z.number().int().min(6).max(99).default(8),
  requireUppercase: z.boolean().default(false),
  requireLowercase: z.boolean().default(false),
  requireNumbers: z.boolean().default(false),
  requireSymbols: z.boolean().default(false),
});

const cognito = z.strictObject({
  userPoolName: nonEmpty,
  appClientName: nonEmpty.default('engify-app'),
  passwordPolicy: passwordPolicy.default({
    minimumLength: 8,
    requireUppercase: false,
    requireLowercase: false,
    requireNumbers: false,
    requireSymbols: false,
  }),
});

/** How db.copy moves the data (both rds modes). */
const rdsCopy = z.strictObject({
  /** Tables larger than this (heap + TOAST, bytes) are split into key ranges copied in parallel. */
  splitBytes: z
    .number()
    .int()
    .positive()
    .default(32 * 1024 * 1024),
  /** Upper bound on key ranges per table. */
  maxRangesPerTable: z.number().int().min(1).max(1024).default(32),
  /**
   * Foreign keys between copied tables: "before-load" attaches a key to its table while that is still
   * empty (the referencing table waits for the referenced one to load and get its keys), so the load,
   * with triggers off like a logical replication subscriber's, keeps it valid without a whole-table
   * check; verify then looks for orphan rows. "after-load" adds every key after the load and validates
   * it on the target, as pg_restore does: all tables load at once, and each key costs an anti-join.
   */
  foreignKeys: z.enum(['before-load', 'after-load']).default('before-load'),
  /** Data API mode: rows per parameter set batch (also bounded by the 4 MiB request limit). */
  insertBatchRows: z.number().int().min(1).max(10_000).default(500),
  /** Logical replication slot created with the snapshot (sync starts from it); default engify_<project>. */
  slotName: z
    .string()
    .regex(/^[a-z0-9_]{1,63}$/, {
      message: 'expected a slot name of 1-63 lower-case letters, digits or underscores',
    })
    .optional(),
  /** Publication of the copied tables for pgoutput; default engify_<project>. */
  publication: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, {
      message: 'expected a publication name of lower-case letters, digits or underscores',
    })
    .optional(),
  /**
   * Who moves the rows: "local" (this machine, db.copy's own COPY), "dms" (AWS DMS Serverless, see
   * target.dms), or "auto": DMS when the plan estimates the local copy over dmsAboveHours and DMS faster.
   */
  engine: z.enum(['auto', 'local', 'dms']).default('auto'),
  /** The threshold of engine "auto", in hours of the local copy's estimated wall time. */
  dmsAboveHours: z.number().positive().default(4),
});
const rdsCopyDefault = {
  splitBytes: 32 * 1024 * 1024,
  maxRangesPerTable: 32,
  foreignKeys: 'before-load' as const,
  insertBatchRows: 500,
  engine: 'auto' as const,
  dmsAboveHours: 4,
};

/** AWS DMS Serverless for db.copy's engine "dms" (DMS loads data only: db.schema still creates the schema). */
const dms = z.strictObject({
  /** Replication config and endpoint identifiers start with this; default engify-<project>. */
  identifierPrefix: z
    .string()
    .regex(/^[a-zA-Z][a-zA-Z0-9-]{0,40}$/, { message: 'expected a letter then letters, digits or hyphens' })
    .optional(),
  /** "full-load-and-cdc" keeps the target in step after the load (sync uses it); "full-load" loads only. */
  migrationType: z.enum(['full-load-and-cdc', 'full-load']).default('full-load-and-cdc'),
  /** DMS capacity units (DCU) the replication may scale to (1, 2, 4, 8, 16, 32, 64, 128, 192, 256, 384). */
  maxCapacityUnits: z.number().int().min(1).max(384).default(16),
  /** The IAM role DMS assumes to read the endpoints' secrets (SecretsManagerAccessRoleArn). */
  secretsAccessRoleArn: z
    .string()
    .regex(/^arn:aws[a-z-]*:iam::/, { message: 'expected an IAM role ARN (arn:aws:iam::...)' }),
  replicationSubnetGroupId: nonEmpty.optional(),
  vpcSecurityGroupIds: z.array(nonEmpty).default([]),
  /** The source as DMS reaches it, when that differs from the URL this machine uses (e.g. a VPC address). */
  sourceUrl: postgresUrl.optional(),
  /** The target as DMS reaches it (default: target.rds.url). */
  targetUrl: postgresUrl.optional(),
  /** Seconds between DescribeReplications polls while the load runs. */
  pollSeconds: z.number().positive().default(15),
});

const rdsInstanceClass = z
  .string()
  .regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, { message: 'expected an RDS instance class such as "db.t4g.micro"' });

/** db.instance: an RDS for PostgreSQL instance this tool provisions (phase 1) instead of a URL. */
const rdsInstance = z.strictObject({
  /** DBInstanceIdentifier: 1-63 letters, digits or hyphens, starting with a letter. */
  identifier: z.string().regex(/^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{0,62}$/, {
    message: 'expected 1-63 letters, digits or single hyphens, starting with a letter (DBInstanceIdentifier)',
  }),
  class: rdsInstanceClass.default('db.t4g.micro'),
  storageGb: z.number().int().min(20).max(65_536).default(20),
  storageType: z.enum(['gp3', 'gp2']).default('gp3'),
  /** Engine version ("17" or "17.4"); default: the source's major version. */
  engineVersion: z
    .string()
    .regex(/^\d+(\.\d+)?$/, { message: 'expected a PostgreSQL version such as "17" or "17.4"' })
    .optional(),
  /** The database created on the instance (DBName), which the later steps use. */
  database: z
    .string()
    .regex(/^[a-zA-Z][a-zA-Z0-9_]{0,62}$/, { message: 'expected a database name' })
    .default('app'),
  masterUsername: z
    .string()
    .regex(/^[a-zA-Z][a-zA-Z0-9_]{0,15}$/, { message: 'expected 1-16 letters, digits or underscores' })
    .default('postgres'),
  /** VPC security groups; without them RDS uses the VPC's default group (the plan says which paths to open). */
  securityGroupIds: z
    .array(z.string().regex(/^sg-[0-9a-f]+$/, { message: 'expected a security group id (sg-...)' }))
    .min(1)
    .optional(),
  /** DB subnet group name; without it, the default VPC's. */
  subnetGroup: nonEmpty.optional(),
  backupRetentionDays: z.number().int().min(0).max(35).default(7),
  publiclyAccessible: z.boolean().optional(),
  /** Between two DescribeDBInstances polls while waiting for "available". */
  pollIntervalMs: z.number().int().min(1).default(15_000),
  timeoutMs: z
    .number()
    .int()
    .positive()
    .default(45 * 60_000),
});

const rdsPg = z
  .strictObject({
    mode: z.literal('pg'),
    url: postgresUrl.optional(),
    /** Provision the instance (db.instance, phase 1) instead of connecting to an existing one by URL. */
    instance: rdsInstance.optional(),
    /** Create the database named in the URL when it does not exist (needs CREATEDB on the server). */
    createDatabase: z.boolean().default(false),
    copy: rdsCopy.default(rdsCopyDefault),
  })
  .superRefine((rds, ctx) => {
    if ((rds.url === undefined) === (rds.instance === undefined))
      ctx.addIssue({
        code: 'custom',
        path: rds.url === undefined ? [] : ['instance'],
        message:
          rds.url === undefined
            ? 'expected exactly one of target.rds.url (an existing server) or target.rds.instance (one db.instance provisions); neither is set'
            : 'expected exactly one of target.rds.url (an existing server) or target.rds.instance (one db.instance provisions); both are set',
      });
  });

const rdsDataApi = z.strictObject({
  mode: z.literal('data-api'),
  resourceArn: z
    .string()
    .regex(/^arn:aws[a-z-]*:rds:/, { message: 'expected an RDS cluster ARN (arn:aws:rds:...)' }),
  secretArn: z.string().regex(/^arn:aws[a-z-]*:secretsmanager:/, {
    message: 'expected a Secrets Manager ARN (arn:aws:secretsmanager:...)',
  }),
  database: nonEmpty,
  createDatabase: z.boolean().default(false),
  copy: rdsCopy.default(rdsCopyDefault),
});

const corsRule = z.strictObject({
  allowedOrigins: nameList,
  allowedMethods: z.array(z.enum(['GET', 'PUT', 'POST', 'DELETE', 'HEAD'])).min(1),
  allowedHeaders: z.array(nonEmpty).default(['*']),
  exposeHeaders: z.array(nonEmpty).default([]),
  maxAgeSeconds: z.number().int().min(0).default(3000),
});

const s3 = z.strictObject({
  bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, {
    message: 'expected an S3 bucket name (3-63 lower-case letters, digits, dots, hyphens)',
  }),
  cors: z.array(corsRule).default([]),
  versioning: z.boolean().default(true),
  prefix: z.string().default(''),
  /** Multipart part size for copied files; S3 refuses parts under 5 MiB. Objects up to one part go in one PUT. */
  partSizeMiB: z.number().int().min(5).max(5120).default(8),
  /**
   * Objects copied at the same time. Their buffers share concurrency x partSizeMiB of memory: a
   * multipart object holds partQueue + 1 parts of it, so fewer large objects run at once.
   */
  concurrency: z.number().int().min(1).max(64).default(8),
  /** Parts of one multipart object uploaded at the same time. */
  partQueue: z.number().int().min(1).max(16).default(2),
});

const dynamodb = z.strictObject({
  vectorTable: z.string().regex(/^[a-zA-Z0-9_.-]{3,255}$/, {
    message: 'expected a DynamoDB table name (3-255 of a-z A-Z 0-9 _ . -)',
  }),
  /** Payload field (e.g. "bot_id") whose value partitions the table and the vector index; default: the collection. */
  partitionField: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, {
      message: 'expected a top-level payload field name such as "bot_id"',
    })
    .optional(),
  /** Payload fields copied to top-level attributes and declared as the vector index's inline filters. */
  filterFields: z
    .array(
      z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, { message: 'expected a top-level payload field name' }),
    )
    .default([]),
  /** Base name of the vector index(es); one index per (dimensions, distance) among the collections. */
  indexName: z
    .string()
    .regex(/^[a-zA-Z0-9_.-]{3,200}$/, { message: 'expected an index name (3-200 of a-z A-Z 0-9 _ . -)' })
    .default('vectors'),
  /** Base name of the vector attribute. */
  vectorAttribute: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, { message: 'expected an attribute name' })
    .default('embedding'),
  /** Items written per second (token bucket); 0: unlimited. */
  writesPerSecond: z.number().min(0).default(0),
  /** BatchWriteItem requests in flight at once. */
  writeConcurrency: z.number().int().min(1).max(64).default(8),
  /** Above this many points in total, the plan chooses DynamoDB's bulk load from S3 (StartBulkPutItems). */
  bulkThresholdPoints: z.number().int().positive().default(5_000_000),
  /**
   * Where the bulk path stages a collection's items (DynamoDB JSON lines, gzip) before StartBulkPutItems;
   * defaults to target.s3.bucket under "engify-bulk/". Objects are deleted once the import succeeded.
   */
  bulkStaging: z
    .strictObject({
      bucket: z
        .string()
        .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { message: 'expected an S3 bucket name' }),
      prefix: z
        .string()
        .regex(/^([^/].*\/)?$/, { message: 'expected a key prefix ending in "/" (or "")' })
        .default('engify-bulk/'),
    })
    .optional(),
  /** Points per staged S3 object (DynamoDB reads similarly sized objects in parallel; at most 50,000 objects). */
  bulkObjectPoints: z.number().int().min(1).default(250_000),
  /** How often a running bulk import is polled (DescribeBulkOperation). */
  bulkPollIntervalMs: z.number().int().min(10).default(15_000),
  /** verify: points sampled per collection for the bit-exact check and recall queries. */
  verifySampleSize: z.number().int().min(1).max(1000).default(20),
  /** verify: lowest acceptable recall@10 of SearchVectors against Qdrant, per collection. */
  recallThreshold: z.number().min(0).max(1).default(0.95),
});

/** Where a new AWS value comes from: a phase-1 output, the target config, or a literal. */
const envValueSource = z.union([
  z.strictObject({
    from: z.enum([
      'userPoolId',
      'appClientId',
      'region',
      'databaseUrl',
      'databaseResourceArn',
      'databaseSecretArn',
      'databaseName',
      'vectorTable',
      'bucket',
    ]),
  }),
  z.strictObject({ value: z.string() }),
]);

/** How one source variable is carried over; replaces the built-in rule for that key. */
const envRule = z.strictObject({
  /** Leave the source variable out. */
  drop: z.boolean().default(false),
  /** Copy the source value under another name. */
  rename: envVarName.optional(),
  /** Force (true) or forbid (false) the secret store for this variable. */
  secret: z.boolean().optional(),
  /** Variables to add (or overwrite) because this source variable is present. */
  set: z.record(envVarName, envValueSource).default({}),
});

const amplify = z.strictObject({
  appName: nonEmpty,
  branch: nonEmpty.default('main'),
  domain: nonEmpty.optional(),
  /** WEB (static/SPA) or WEB_COMPUTE (server-rendered Next.js); chosen from the framework when absent. */
  platform: z.enum(['WEB', 'WEB_COMPUTE']).optional(),
  /** Where secret variables go instead of plain Amplify env vars. */
  secretStore: z.enum(['secrets-manager', 'ssm']).default('secrets-manager'),
  /** Per-source-variable overrides of the built-in Supabase/Qdrant -> AWS mapping. */
  envMapping: z.record(envVarName, envRule).default({}),
  /** Extra variable names to treat as secrets / as plain, on top of the built-in rules. */
  secretKeys: z.array(envVarName).default([]),
  plainKeys: z.array(envVarName).default([]),
  /** Take over an existing Amplify app (and secrets) with the same name that this tool did not create. */
  adopt: z.boolean().default(false),
});

/** One path verify requests from the deployed branch URL. */
const smokePath = z.strictObject({
  path: z.string().regex(/^\//, { message: 'expected a path starting with "/"' }),
  status: z.number().int().min(100).max(599).default(200),
  /** Also require the same body (SHA-256) as hosting.compareWith serves at this path. */
  sameBody: z.boolean().default(false),
});

/** hosting.deploy: how the frontend is really built and served on Amplify. */
const hostingDeploy = z
  .strictObject({
    /**
     * "manual": a zip of artifactDir (CreateDeployment + StartDeployment; static output only, Amplify
     * does not take manual deploys of SSR apps). "repository": connect the Git repository, RELEASE job.
     */
    deploy: z.enum(['manual', 'repository']),
    /** Build output to zip (manual), relative to the config file. */
    artifactDir: nonEmpty.optional(),
    /** Run before zipping (manual); true: the source project's build command. */
    build: z
      .union([z.literal(true), z.strictObject({ command: nonEmpty.optional(), cwd: nonEmpty.optional() })])
      .optional(),
    repository: z
      .strictObject({
        /** Default: the repository the Vercel project / Render service is linked to. Amplify builds the
         * Git branch named like target.amplify.branch. */
        url: httpUrl.optional(),
        /** GitHub personal access token (through ${VAR}); given to Amplify once, never stored. */
        token: nonEmpty,
      })
      .optional(),
    smoke: z
      .array(smokePath)
      .min(1)
      .default([{ path: '/', status: 200, sameBody: false }]),
    /** The live source deployment (e.g. https://chatbot-web.vercel.app) smoke bodies are compared with. */
    compareWith: httpUrl.optional(),
    /** Between two GetJob polls. */
    pollIntervalMs: z.number().int().min(1).default(5000),
    /** Give up waiting for the job after this long (the job itself goes on). */
    timeoutMs: z
      .number()
      .int()
      .positive()
      .default(30 * 60_000),
  })
  .superRefine((h, ctx) => {
    if (h.deploy === 'manual' && !h.artifactDir)
      ctx.addIssue({
        code: 'custom',
        path: ['artifactDir'],
        message: 'deploy "manual" needs artifactDir (the folder of the built site to upload)',
      });
    if (h.deploy === 'repository' && !h.repository)
      ctx.addIssue({
        code: 'custom',
        path: ['repository'],
        message: 'deploy "repository" needs repository.token (a GitHub access token through ${VAR})',
      });
    if (h.smoke.some((s) => s.sameBody) && !h.compareWith)
      ctx.addIssue({
        code: 'custom',
        path: ['compareWith'],
        message: 'a smoke path with sameBody needs compareWith (the source deployment URL)',
      });
  });

/** dns.records: the domain's records set in Route 53 (absent: they are printed for the user to set). */
const route53 = z.strictObject({
  /** The zone's name (example.com) or id (Z0123...); absent: found by ListHostedZonesByName. */
  hostedZone: nonEmpty.optional(),
  /** TTL the records cutover switches are lowered to ahead of time, and set with. */
  ttl: z.number().int().min(1).max(86_400).default(60),
  /** Between two GetChange polls while waiting for INSYNC. */
  pollIntervalMs: z.number().int().min(1).default(5000),
  timeoutMs: z
    .number()
    .int()
    .positive()
    .default(10 * 60_000),
});

const target = z.strictObject({
  aws,
  cognito: cognito.optional(),
  rds: z.discriminatedUnion('mode', [rdsPg, rdsDataApi]).optional(),
  dynamodb: dynamodb.optional(),
  s3: s3.optional(),
  amplify: amplify.optional(),
  route53: route53.optional(),
  dms: dms.optional(),
});

const flags = z.discriminatedUnion('store', [
  z.strictObject({ store: z.literal('file'), path: nonEmpty.default('.engify/flags.json') }),
  z.strictObject({
    store: z.literal('dynamodb'),
    table: z.string().regex(/^[a-zA-Z0-9_.-]{3,255}$/, { message: 'expected a DynamoDB table name' }),
  }),
]);

const sync = z.strictObject({
  /** Largest acceptable lag before cutover is allowed. */
  maxLagSeconds: z.number().positive().default(5),
  /** Seconds between incremental passes for components without a change stream. */
  pollSeconds: z.number().positive().default(30),
  batchSize: z.number().int().positive().max(100_000).default(1000),
  /**
   * Database change capture: logical decoding (pgoutput) from db.copy's slot, triggers into a changelog
   * table where logical decoding is unavailable, or auto (logical when the server and user allow it).
   */
  mode: z.enum(['logical', 'trigger', 'auto']).default('auto'),
  /** Longest a target transaction stays open while batching source transactions (lag vs throughput). */
  maxBatchDelayMs: z.number().int().positive().max(60_000).default(200),
  /** Overrides of the names db.copy records (slot, publication) and of the reverse-sync ones. */
  slot: z
    .string()
    .regex(/^[a-z0-9_]{1,63}$/, { message: 'expected a slot name (1-63 of a-z 0-9 _)' })
    .optional(),
  publication: nonEmpty.optional(),
  reverseSlot: z
    .string()
    .regex(/^[a-z0-9_]{1,63}$/, { message: 'expected a slot name (1-63 of a-z 0-9 _)' })
    .default('engify_reverse'),
  reversePublication: nonEmpty.default('engify_reverse'),
});

/** Users from Supabase Auth into Cognito (step auth.users). */
const authAttributeMapping = z.strictObject({
  /** Dotted path in the Supabase user: "user_metadata.full_name", "app_metadata.plan", "phone". */
  from: nonEmpty,
  /** Cognito attribute: a standard one ("name", "locale") or "custom:<name>" defined on the pool. */
  to: z.string().regex(/^(custom:)?[A-Za-z0-9_:-]{1,32}$/, {
    message: 'expected a Cognito attribute name such as "name" or "custom:plan"',
  }),
});

export const authConfigSchema = z.strictObject({
  /** How passwords reach Cognito: an import job with the bcrypt hashes, a user-migration Lambda, or a reset. */
  passwords: z.enum(['import-hashes', 'lazy', 'reset']).default('reset'),
  /** For users whose hash cannot be kept (not bcrypt, or none): create them for a reset, or leave them out. */
  fallback: z.enum(['reset', 'skip']).default('reset'),
  /** Metadata copied into attributes; the first non-empty source wins for each target attribute. */
  attributes: z.array(authAttributeMapping).default([
    { from: 'user_metadata.full_name', to: 'name' },
    { from: 'user_metadata.name', to: 'name' },
  ]),
  /** Supabase provider name -> Cognito identity provider name, for linking OAuth identities. */
  providers: z
    .record(nonEmpty, nonEmpty)
    .default({ google: 'Google', facebook: 'Facebook', apple: 'SignInWithApple' }),
  /** Cognito admin calls per second (the user-creation quota is 50 RPS in most accounts: stay under it). */
  ratePerSecond: z.number().positive().max(10_000).default(40),
  concurrency: z.number().int().min(1).max(64).default(8),
  /** Users read from the source per batch (one checkpoint per batch). */
  batchSize: z.number().int().min(1).max(10_000).default(500),
  /** Known credentials verify signs in with (passwords through ${VAR}); only for strategies that keep passwords. */
  verifySignIn: z.array(z.strictObject({ email: nonEmpty, password: nonEmpty })).default([]),
  importJob: z
    .strictObject({
      /** IAM role Cognito logs import results with (required by CreateUserImportJob on AWS). */
      cloudWatchLogsRoleArn: z
        .string()
        .regex(/^arn:aws[a-z-]*:iam::/, { message: 'expected an IAM role ARN (arn:aws:iam::...)' })
        .optional(),
      /** Per-file limits of a Cognito import job; larger sets are split into several jobs. */
      maxUsersPerFile: z.number().int().min(1).max(500_000).default(100_000),
      maxBytesPerFile: z
        .number()
        .int()
        .min(1024)
        .max(100 * 1024 * 1024)
        .default(100 * 1024 * 1024),
      pollSeconds: z.number().positive().default(5),
      timeoutMinutes: z.number().positive().default(120),
    })
    .default({
      maxUsersPerFile: 100_000,
      maxBytesPerFile: 100 * 1024 * 1024,
      pollSeconds: 5,
      timeoutMinutes: 120,
    }),
  lambda: z
    .strictObject({
      functionName: nonEmpty.optional(),
      /** ARN of the deployed migration Lambda: when set, apply attaches it to the pool's UserMigration trigger. */
      functionArn: z
        .string()
        .regex(/^arn:aws[a-z-]*:lambda:/, { message: 'expected a Lambda function ARN (arn:aws:lambda:...)' })
        .optional(),
    })
    .default({}),
});

/** backup.source: a logical dump of the source, Auth users and Qdrant snapshots, to S3 (components/backup). */
const backup = z.strictObject({
  /** Bucket for backups; default target.s3.bucket. Must be in target.aws.region. */
  bucket: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { message: 'expected an S3 bucket name' })
    .optional(),
  /** Key prefix; each backup is <prefix><id>/ (the lifecycle rule applies to this prefix). */
  prefix: z
    .string()
    .regex(/^[A-Za-z0-9!_.*'()/-]*\/$/, { message: 'expected a key prefix ending in "/"' })
    .default('backups/'),
  /** Days a backup is kept: a lifecycle rule on the prefix expires older objects. */
  retentionDays: z.number().int().min(1).max(3650).default(30),
  /** KMS key (id, alias or ARN) for the Auth users object (SSE-KMS); without it, SSE-S3 (AES256). */
  kmsKeyId: nonEmpty.optional(),
});

/** monitoring.alarms: CloudWatch metrics from `sync`, alarms, a dashboard, an SNS topic (components/monitoring). */
const monitoring = z.strictObject({
  /** CloudWatch namespace `sync` publishes into (dimensions Project and Component). */
  namespace: z
    .string()
    .regex(/^[A-Za-z0-9_./#:-]{1,255}$/, {
      message: 'expected a CloudWatch namespace (1-255 of A-Z a-z 0-9 . _ - / # :)',
    })
    .refine((s) => !s.startsWith('AWS/'), {
      message: 'expected a namespace of your own ("AWS/" is reserved)',
    })
    .default('EngifyMigrate'),
  /** Where alarm notifications go: subscribed (email) to the topic; the address must confirm it. */
  alarmEmail: z.string().email({ message: 'expected an email address' }).optional(),
  /**
   * The SNS topic alarms notify: created (create: true, the default when alarmEmail is set; named
   * `name` or <project>-alarms), or an existing one of yours by ARN (never deleted by rollback).
   */
  snsTopic: z
    .strictObject({
      create: z.boolean().default(true),
      name: z
        .string()
        .regex(/^[A-Za-z0-9_-]{1,256}$/, { message: 'expected an SNS topic name (1-256 of A-Z a-z 0-9 _ -)' })
        .optional(),
      arn: z
        .string()
        .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/, {
          message: 'expected an SNS topic ARN',
        })
        .optional(),
    })
    .optional(),
  /** The dashboard's name; default <project>-migration. */
  dashboard: z
    .strictObject({
      name: z
        .string()
        .regex(/^[A-Za-z0-9_-]{1,255}$/, { message: 'expected a dashboard name (1-255 of A-Z a-z 0-9 _ -)' })
        .optional(),
    })
    .default({}),
});

/** Inputs of the cost estimate in `plan` that no source can tell (see components/cost). */
const cost = z.strictObject({
  /** The RDS instance class to price (the target database's own, when provisioned elsewhere). */
  rdsInstanceClass: z
    .string()
    .regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, { message: 'expected an RDS instance class such as "db.t4g.micro"' })
    .default('db.t4g.micro'),
  /** Allocated RDS storage in GB; default: the measured database size (with indexes), at least 20. */
  rdsStorageGb: z.number().int().min(20).max(65_536).optional(),
  /** Requests a month the backend serves (Render's dashboard tells it): prices Lambda + API Gateway. */
  backendRequestsPerMonth: z.number().int().min(0).optional(),
  /** Amplify build minutes a month (builds a month x minutes a build). */
  buildMinutesPerMonth: z.number().min(0).optional(),
  /** A price file of your own (same shape as prices/<region>.json), relative to the config. */
  pricesFile: nonEmpty.optional(),
});

/** What Lambda runs differently from a long-lived Render web service; each must be acknowledged. */
export const BACKEND_CAVEATS = [
  'long-requests',
  'after-response',
  'websockets',
  'workers',
  'crons',
  'disk',
] as const;

const routeKey = z.string().regex(/^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|ANY) \/[^\s]*$/, {
  message: 'expected a route key such as "GET /api/health" (method, one space, path)',
});

/** The Render web service moved to Lambda (Web Adapter) behind an API Gateway HTTP API (step backend.*). */
export const backendConfigSchema = z.strictObject({
  /** A local checkout of the service's repository: built with its build command, zipped, uploaded. */
  sourceDir: nonEmpty.optional(),
  /** Instead of sourceDir: an image already in ECR (Docker-runtime services), with the adapter in /opt/extensions. */
  imageUri: z
    .string()
    .regex(/^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?\/[^\s]+$/, {
      message: 'expected an ECR image URI such as 123456789012.dkr.ecr.eu-west-1.amazonaws.com/api:1.2',
    })
    .optional(),
  functionName: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, { message: 'expected 1-64 letters, digits, hyphens or underscores' })
    .optional(),
  apiName: nonEmpty.optional(),
  /** Defaults: 1024 MB; 29 s (the HTTP API integration stops waiting at 30 s). */
  memoryMb: z.number().int().min(128).max(10_240).optional(),
  timeoutSeconds: z.number().int().min(1).max(900).optional(),
  architecture: z.enum(['x86_64', 'arm64']).default('x86_64'),
  /** The port the start command listens on (AWS_LWA_PORT and PORT); default 8080, the adapter's. */
  port: z.number().int().min(1024).max(65_535).default(8080),
  /** The adapter's readiness check path; default the Render health check path, else "/". */
  readinessPath: z.string().startsWith('/').optional(),
  /** How long the local start of the built app may take to answer the readiness check. */
  readinessTimeoutSeconds: z.number().positive().max(300).default(20),
  /** Lambda Web Adapter layer version (awslabs/aws-lambda-web-adapter); or a full layer ARN. */
  adapterLayerVersion: z.number().int().positive().default(26),
  adapterLayerArn: z
    .string()
    .regex(/^arn:aws[a-z-]*:lambda:/, { message: 'expected a Lambda layer ARN' })
    .optional(),
  /** AWS Parameters and Secrets Lambda Extension layer for this region (secrets are read through it). */
  secretsExtensionLayerArn: z
    .string()
    .regex(/^arn:aws[a-z-]*:lambda:/, { message: 'expected a Lambda layer ARN' })
    .optional(),
  /** Routes left open (no JWT), e.g. "GET /api/health". Everything else needs a Cognito token. */
  publicRoutes: z.array(routeKey).default([]),
  /** CORS origins; default the Amplify app's domain and the custom domains. */
  corsOrigins: z.array(httpUrl).optional(),
  /** The frontend variable holding the API base URL; default detected (VITE_API_URL, NEXT_PUBLIC_API_URL, ...). */
  frontendApiVariable: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'expected an environment variable name' })
    .optional(),
  /** What Lambda does differently that the user accepts (the plan says which apply to this service). */
  acknowledge: z.array(z.enum(BACKEND_CAVEATS)).default([]),
  /** verify: requests sent to Render and to the gateway. Default: the Render health check path. */
  smoke: z
    .array(
      z.strictObject({
        method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD']).default('GET'),
        path: z.string().startsWith('/'),
        status: z.number().int().min(100).max(599).default(200),
        /** Send a token from a sign-in of auth.verifySignIn's first user. */
        auth: z.boolean().default(false),
        /** Compare body digests too (the response does not change from call to call). */
        deterministic: z.boolean().default(false),
      }),
    )
    .optional(),
  /** The Render service's public URL (for smoke requests); default https://<name>.onrender.com. */
  sourceUrl: httpUrl.optional(),
  /** Package limits (Lambda's: 50 MB zipped direct upload, 250 MB unzipped). */
  maxZipBytes: z
    .number()
    .int()
    .positive()
    .max(50 * 1024 * 1024)
    .default(50 * 1024 * 1024),
  maxUnzippedBytes: z
    .number()
    .int()
    .positive()
    .max(250 * 1024 * 1024)
    .default(250 * 1024 * 1024),
  /** How often Lambda's State / LastUpdateStatus is polled, and for how long. */
  pollIntervalMs: z.number().int().min(1).default(2000),
  waitTimeoutSeconds: z.number().positive().default(300),
});

export const configSchema = z.strictObject({
  $schema: z.string().optional(),
  /** Names resources and tags; lower-case so it fits every provider's naming rules. */
  project: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,39}$/, { message: 'expected 1-40 lower-case letters, digits or hyphens' }),
  stateDir: nonEmpty.default('.engify'),
  source: z
    .strictObject({
      supabase: supabaseSource.optional(),
      postgres: postgresSource.optional(),
      sqlite: sqliteSource.optional(),
      qdrant: qdrantSource.optional(),
      vercel: vercelSource.optional(),
      render: renderSource.optional(),
      railway: railwaySource.optional(),
    })
    .superRefine((source, ctx) => {
      if (source.sqlite && (source.postgres || source.supabase?.dbUrl))
        ctx.addIssue({
          code: 'custom',
          path: ['sqlite'],
          message: `expected one database source: source.sqlite and ${source.postgres ? 'source.postgres' : 'source.supabase.dbUrl'} are both set (keep the one the app uses)`,
        });
      if (source.postgres && source.supabase?.dbUrl)
        ctx.addIssue({
          code: 'custom',
          path: ['postgres'],
          message:
            'expected one database source: source.supabase.dbUrl and source.postgres are both set (keep the one the app uses)',
        });
    }),
  target,
  flags: flags.default({ store: 'file', path: '.engify/flags.json' }),
  sync: sync.default({
    maxLagSeconds: 5,
    pollSeconds: 30,
    batchSize: 1000,
    mode: 'auto',
    maxBatchDelayMs: 200,
    reverseSlot: 'engify_reverse',
    reversePublication: 'engify_reverse',
  }),
  auth: authConfigSchema.optional(),
  cost: cost.default({ rdsInstanceClass: 'db.t4g.micro' }),
  backup: backup.optional(),
  monitoring: monitoring.optional(),
  backend: backendConfigSchema.optional(),
  hosting: hostingDeploy.optional(),
  /** The link this machine moves data over, for the plan's wall-time estimates (see throughput/paths.json). */
  network: z
    .strictObject({
      mbps: z.number().positive().optional(),
      /** A throughput file of your own (same shape as the bundled throughput/paths.json). */
      throughputFile: nonEmpty.optional(),
    })
    .default({}),
  /** Parallel jobs for data copies. */
  jobs: z.number().int().min(1).max(64).default(4),
});

export type Config = z.infer<typeof configSchema>;
export type AwsConfig = Config['target']['aws'];
export type CognitoConfig = NonNullable<Config['target']['cognito']>;
export type RdsConfig = NonNullable<Config['target']['rds']>;
export type RdsInstanceConfig = z.infer<typeof rdsInstance>;
export type S3Config = NonNullable<Config['target']['s3']>;
export type QdrantConfig = NonNullable<Config['source']['qdrant']>;
export type DynamoDbConfig = NonNullable<Config['target']['dynamodb']>;
export type DmsConfig = NonNullable<Config['target']['dms']>;
export type FlagsConfig = Config['flags'];
export type AuthConfig = z.infer<typeof authConfigSchema>;
export type CostConfig = Config['cost'];
export type BackupConfig = NonNullable<Config['backup']>;
export type MonitoringConfig = NonNullable<Config['monitoring']>;
export type BackendConfig = z.infer<typeof backendConfigSchema>;
export type HostingDeployConfig = NonNullable<Config['hosting']>;

/** Paths (dotted) whose values are secrets even when given literally rather than through ${VAR}. */
export const SECRET_FIELDS = [
  'source.supabase.serviceRoleKey',
  'source.supabase.storage.s3SecretAccessKey',
  'source.qdrant.apiKey',
  'source.vercel.token',
  'source.render.apiKey',
  'source.railway.token',
  'hosting.repository.token',
  'target.aws.credentials.secretAccessKey',
  'target.aws.credentials.sessionToken',
];
