import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

// An HTTP front for cognito-local adding what it lacks, with the documented request/response shapes of
// the Cognito API reference: GetCSVHeader, CreateUserImportJob (its PreSignedUrl is served here for the
// CSV PUT), StartUserImportJob, DescribeUserImportJob, ListUserImportJobs, and the identity-provider
// calls CreateIdentityProvider, ListIdentityProviders, AdminLinkProviderForUser. Every other request is
// forwarded unchanged to cognito-local by its X-Amz-Target. Requests are recorded for tests.
//
// Imported users are created in cognito-local (AdminCreateUser, mail suppressed) with a random
// permanent password, and their bcrypt hash is kept here. An InitiateAuth USER_PASSWORD_AUTH for such a
// user is checked against the hash by this front: on a match it sets that password in cognito-local
// (AdminSetUserPassword, permanent) and forwards the sign-in, so tokens still come from cognito-local;
// on a mismatch it answers NotAuthorizedException itself. That is what Cognito does for hash imports:
// the first sign-in verifies the imported hash.
//
// No kinder than Cognito on the CSV: its first row must be the header GetCSVHeader returns for the pool,
// every column present and none added (developer guide, "Creating the user import CSV file":
// https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pools-using-import-tool-csv-header.html),
// or the job fails naming the columns; and a job created with PasswordHashingAlgorithm BCRYPT (API
// reference, CreateUserImportJob) takes only bcrypt hashes in the hash column, so any other value fails
// that row.
// UNCONFIRMED: the name of the hash column, and which bcrypt prefixes Cognito accepts. The AWS pages we
// could consult name neither: the guide above still says hashes cannot be imported; the CLI reference
// (https://docs.aws.amazon.com/cli/latest/reference/cognito-idp/create-user-import-job.md) and the
// SDK's API documentation only add --password-hashing-algorithm / PasswordHashingAlgorithm, "the
// password hashing algorithm used to generate the hashes in the CSV file" (BCRYPT | SCRYPT | ARGON2ID |
// PBKDF2_SHA256). HASH_COLUMN is this stand-in's own placeholder, which production never assumes: it
// takes the column from the header GetCSVHeader returns, and `plan` prints that header. The bcrypt
// check takes the whole $2$/$2a$/$2b$/$2x$/$2y$ family: the prefixes cannot be narrowed without the
// documentation.

export const HASH_COLUMN = 'cognito:password_hash';

const BCRYPT = /^\$2[abxy]?\$\d{2}\$[./A-Za-z0-9]{53}$/;

// The standard attributes GetCSVHeader lists first (the guide's sample response).
const STANDARD_COLUMNS = [
  'name',
  'given_name',
  'family_name',
  'middle_name',
  'nickname',
  'preferred_username',
  'profile',
  'picture',
  'website',
  'email',
  'email_verified',
  'gender',
  'birthdate',
  'zoneinfo',
  'locale',
  'phone_number',
  'phone_number_verified',
  'address',
  'updated_at',
];

interface ImportJob {
  JobName: string;
  JobId: string;
  UserPoolId: string;
  PreSignedUrl: string;
  CreationDate: number;
  StartDate?: number;
  CompletionDate?: number;
  Status: string;
  CloudWatchLogsRoleArn: string;
  ImportedUsers: number;
  SkippedUsers: number;
  FailedUsers: number;
  CompletionMessage?: string;
  PasswordHashingAlgorithm?: string;
}

export interface CognitoFront {
  url: string;
  requests: { target: string; body: Record<string, unknown> }[];
  uploads: { jobId: string; bytes: number; headers: Record<string, string | string[] | undefined> }[];
  links: { poolId: string; destination: string; provider: string; providerUserId: string }[];
  /** How many pending imported hashes were checked at sign-in (bcrypt), by outcome. */
  hashChecks: { ok: number; failed: number };
  stop(): Promise<void>;
}

const JSON_TYPE = 'application/x-amz-json-1.1';

export async function startCognitoFront(options: { upstream: string }): Promise<CognitoFront> {
  const jobs = new Map<string, ImportJob & { csv?: string }>();
  const hashes = new Map<string, { poolId: string; hash: string }>();
  const providers = new Map<
    string,
    { ProviderName: string; ProviderType: string; CreationDate: number; LastModifiedDate: number }[]
  >();
  const requests: CognitoFront['requests'] = [];
  const uploads: CognitoFront['uploads'] = [];
  const links: CognitoFront['links'] = [];
  const hashChecks = { ok: 0, failed: 0 };
  let base = '';
  const { default: bcrypt } = await import('bcryptjs');

  const upstream = async (
    op: string,
    body: unknown,
  ): Promise<{ status: number; json: Record<string, unknown> }> => {
    const raw = await forward(
      options.upstream,
      'POST',
      '/',
      { 'content-type': JSON_TYPE, 'x-amz-target': `AWSCognitoIdentityProviderService.${op}` },
      Buffer.from(JSON.stringify(body)),
    );
    return {
      status: raw.status,
      json: raw.body.length ? (JSON.parse(raw.body.toString('utf8')) as Record<string, unknown>) : {},
    };
  };

  /** Answers with a documented error shape; returns true ("handled") for the handlers' convenience. */
  const fail = (res: ServerResponse, status: number, type: string, message: string): true => {
    res.writeHead(status, { 'content-type': JSON_TYPE, 'x-amzn-errortype': type });
    res.end(JSON.stringify({ __type: type, message }));
    return true;
  };
  const ok = (res: ServerResponse, body: unknown) => {
    res.writeHead(200, { 'content-type': JSON_TYPE });
    res.end(JSON.stringify(body));
  };
  const publicJob = (job: ImportJob & { csv?: string }): ImportJob => {
    const { csv: _csv, ...rest } = job;
    return rest;
  };

  /** The header GetCSVHeader answers for a pool (its schema's attributes), or the upstream's error. */
  const csvHeaderOf = async (
    poolId: string,
  ): Promise<string[] | { status: number; json: Record<string, unknown> }> => {
    const pool = await upstream('DescribeUserPool', { UserPoolId: poolId });
    if (pool.status !== 200) return pool;
    const schema = (
      (pool.json.UserPool as { SchemaAttributes?: { Name: string }[] })?.SchemaAttributes ?? []
    ).map((a) => a.Name);
    const custom = schema
      .filter((n) => !STANDARD_COLUMNS.includes(n) && n !== 'sub' && n !== 'identities')
      .map((n) => (n.startsWith('custom:') ? n : `custom:${n}`));
    return [...STANDARD_COLUMNS, ...custom, 'cognito:mfa_enabled', 'cognito:username', HASH_COLUMN];
  };

  const runJob = async (job: ImportJob & { csv?: string }) => {
    job.Status = 'InProgress';
    const [headerLine, ...lines] = parseCsv(job.csv ?? '');
    const header = headerLine ?? [];
    const expected = await csvHeaderOf(job.UserPoolId);
    if (!Array.isArray(expected)) throw new Error(`DescribeUserPool answered HTTP ${expected.status}`);
    const missing = expected.filter((h) => !header.includes(h));
    const unknown = header.filter((h) => !expected.includes(h));
    if (missing.length > 0 || unknown.length > 0) {
      job.Status = 'Failed';
      job.CompletionDate = Date.now() / 1000;
      job.CompletionMessage = `The CSV header does not match the user pool's header (GetCSVHeader): ${[
        ...(missing.length ? [`missing ${missing.join(', ')}`] : []),
        ...(unknown.length ? [`unknown ${unknown.join(', ')}`] : []),
      ].join('; ')}.`;
      delete job.csv;
      return;
    }
    for (const cells of lines) {
      if (cells.length === 1 && cells[0] === '') continue;
      const record = Object.fromEntries(header.map((h, i) => [h, cells[i] ?? '']));
      const username = record['cognito:username'] ?? '';
      const attributes = Object.entries(record)
        .filter(([k, v]) => v !== '' && !k.startsWith('cognito:'))
        .map(([Name, Value]) => ({ Name, Value }));
      const hasVerified = record.email_verified === 'true' || record.phone_number_verified === 'true';
      const hash = record[HASH_COLUMN] ?? '';
      const hashOk = hash === '' || (job.PasswordHashingAlgorithm === 'BCRYPT' && BCRYPT.test(hash));
      if (!username || !hasVerified || !hashOk) {
        job.FailedUsers++;
        continue;
      }
      const created = await upstream('AdminCreateUser', {
        UserPoolId: job.UserPoolId,
        Username: username,
        MessageAction: 'SUPPRESS',
        UserAttributes: attributes,
      });
      if (created.status !== 200) {
        job.FailedUsers++;
        continue;
      }
      const createdName = String(
        (created.json.User as { Username?: string } | undefined)?.Username ?? username,
      );
      await upstream('AdminSetUserPassword', {
        UserPoolId: job.UserPoolId,
        Username: createdName,
        Password: `Aa1!${randomBytes(24).toString('base64url')}`,
        Permanent: true,
      });
      if (hash) hashes.set(username.toLowerCase(), { poolId: job.UserPoolId, hash });
      job.ImportedUsers++;
    }
    job.Status = 'Succeeded';
    job.CompletionDate = Date.now() / 1000;
    job.CompletionMessage = 'Import Job Completed Successfully.';
    delete job.csv;
  };

  const handlers: Record<
    string,
    (
      body: Record<string, unknown>,
      res: ServerResponse,
      raw: Buffer,
      req: IncomingMessage,
    ) => Promise<boolean>
  > = {
    GetCSVHeader: async (body, res) => {
      const header = await csvHeaderOf(String(body.UserPoolId));
      if (!Array.isArray(header)) return relay(res, header);
      ok(res, { UserPoolId: body.UserPoolId, CSVHeader: header });
      return true;
    },
    CreateUserImportJob: async (body, res) => {
      const pool = await upstream('DescribeUserPool', { UserPoolId: body.UserPoolId });
      if (pool.status !== 200) return relay(res, pool);
      if (
        typeof body.JobName !== 'string' ||
        typeof body.CloudWatchLogsRoleArn !== 'string' ||
        body.CloudWatchLogsRoleArn === ''
      ) {
        fail(res, 400, 'InvalidParameterException', 'JobName and CloudWatchLogsRoleArn are required');
        return true;
      }
      const JobId = `import-${randomUUID().replace(/-/g, '').slice(0, 10)}`;
      const job: ImportJob & { csv?: string } = {
        JobName: body.JobName,
        JobId,
        UserPoolId: String(body.UserPoolId),
        PreSignedUrl: `${base}/import-uploads/${JobId}?X-Amz-Signature=${randomBytes(8).toString('hex')}`,
        CreationDate: Date.now() / 1000,
        Status: 'Created',
        CloudWatchLogsRoleArn: body.CloudWatchLogsRoleArn,
        ImportedUsers: 0,
        SkippedUsers: 0,
        FailedUsers: 0,
        ...(typeof body.PasswordHashingAlgorithm === 'string'
          ? { PasswordHashingAlgorithm: body.PasswordHashingAlgorithm }
          : {}),
      };
      jobs.set(JobId, job);
      ok(res, { UserImportJob: publicJob(job) });
      return true;
    },
    StartUserImportJob: async (body, res) => {
      const job = jobs.get(String(body.JobId));
      if (!job || job.UserPoolId !== body.UserPoolId)
        return fail(res, 400, 'ResourceNotFoundException', 'Import job not found');
      if (job.Status !== 'Created' || job.csv === undefined) {
        fail(
          res,
          400,
          'PreconditionNotMetException',
          'The CSV file was not uploaded, or the job was already started',
        );
        return true;
      }
      job.Status = 'Pending';
      job.StartDate = Date.now() / 1000;
      ok(res, { UserImportJob: publicJob(job) });
      setImmediate(() => {
        runJob(job).catch((error: unknown) => {
          job.Status = 'Failed';
          job.CompletionMessage = String((error as Error).message);
        });
      });
      return true;
    },
    DescribeUserImportJob: async (body, res) => {
      const job = jobs.get(String(body.JobId));
      if (!job || job.UserPoolId !== body.UserPoolId)
        return fail(res, 400, 'ResourceNotFoundException', 'Import job not found');
      ok(res, { UserImportJob: publicJob(job) });
      return true;
    },
    ListUserImportJobs: async (body, res) => {
      const all = [...jobs.values()].filter((j) => j.UserPoolId === body.UserPoolId);
      const start = Number(body.PaginationToken ?? 0);
      const max = Number(body.MaxResults ?? 60);
      const page = all.slice(start, start + max);
      ok(res, {
        UserImportJobs: page.map(publicJob),
        ...(start + max < all.length ? { PaginationToken: String(start + max) } : {}),
      });
      return true;
    },
    CreateIdentityProvider: async (body, res) => {
      const list = providers.get(String(body.UserPoolId)) ?? [];
      const now = Date.now() / 1000;
      const p = {
        ProviderName: String(body.ProviderName),
        ProviderType: String(body.ProviderType),
        CreationDate: now,
        LastModifiedDate: now,
      };
      if (list.some((x) => x.ProviderName === p.ProviderName))
        return fail(res, 400, 'DuplicateProviderException', 'Provider exists');
      list.push(p);
      providers.set(String(body.UserPoolId), list);
      ok(res, {
        IdentityProvider: { UserPoolId: body.UserPoolId, ...p, ProviderDetails: body.ProviderDetails ?? {} },
      });
      return true;
    },
    ListIdentityProviders: async (body, res) => {
      ok(res, { Providers: providers.get(String(body.UserPoolId)) ?? [] });
      return true;
    },
    AdminLinkProviderForUser: async (body, res) => {
      const dest = body.DestinationUser as { ProviderAttributeValue?: string } | undefined;
      const src = body.SourceUser as { ProviderName?: string; ProviderAttributeValue?: string } | undefined;
      const poolId = String(body.UserPoolId);
      if (!(providers.get(poolId) ?? []).some((p) => p.ProviderName === src?.ProviderName)) {
        return fail(res, 400, 'InvalidParameterException', `No identity provider ${src?.ProviderName}`);
      }
      const user = await upstream('AdminGetUser', {
        UserPoolId: poolId,
        Username: dest?.ProviderAttributeValue,
      });
      if (user.status !== 200) return relay(res, user);
      const same = links.find(
        (l) =>
          l.poolId === poolId &&
          l.provider === src?.ProviderName &&
          l.providerUserId === src?.ProviderAttributeValue,
      );
      if (same) return fail(res, 400, 'InvalidParameterException', 'The source user is already linked');
      links.push({
        poolId,
        destination: String(dest?.ProviderAttributeValue),
        provider: String(src?.ProviderName),
        providerUserId: String(src?.ProviderAttributeValue),
      });
      ok(res, {});
      return true;
    },
    InitiateAuth: async (body, res) => {
      if (body.AuthFlow !== 'USER_PASSWORD_AUTH') return false;
      const params = (body.AuthParameters ?? {}) as { USERNAME?: string; PASSWORD?: string };
      const pending = hashes.get(String(params.USERNAME ?? '').toLowerCase());
      if (!pending) return false;
      if (!(await bcrypt.compare(String(params.PASSWORD ?? ''), pending.hash.replace(/^\$2y\$/, '$2b$')))) {
        hashChecks.failed++;
        fail(res, 400, 'NotAuthorizedException', 'Incorrect username or password.');
        return true;
      }
      hashChecks.ok++;
      await upstream('AdminSetUserPassword', {
        UserPoolId: pending.poolId,
        Username: params.USERNAME,
        Password: params.PASSWORD,
        Permanent: true,
      });
      hashes.delete(String(params.USERNAME).toLowerCase());
      return false;
    },
    AdminDeleteUser: async (body) => {
      // A deleted user's imported hash must not sign in a later user of the same name.
      hashes.delete(String(body.Username ?? '').toLowerCase());
      return false;
    },
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      const raw = await readBody(req);
      const uploadMatch = /^\/import-uploads\/([^/?]+)/.exec(req.url ?? '');
      if (uploadMatch) {
        const job = jobs.get(uploadMatch[1] ?? '');
        if (req.method !== 'PUT' || !job || job.Status !== 'Created') {
          res.writeHead(403, { 'content-type': 'application/xml' });
          res.end(
            '<Error><Code>AccessDenied</Code><Message>Request has expired or is invalid</Message></Error>',
          );
          return;
        }
        job.csv = raw.toString('utf8');
        uploads.push({
          jobId: job.JobId,
          bytes: raw.length,
          headers: {
            'x-amz-server-side-encryption': req.headers['x-amz-server-side-encryption'],
            'content-type': req.headers['content-type'],
          },
        });
        res.writeHead(200, { etag: `"${randomBytes(16).toString('hex')}"` });
        res.end();
        return;
      }
      const target = String(req.headers['x-amz-target'] ?? '');
      const op = target.split('.').pop() ?? '';
      let body: Record<string, unknown> = {};
      try {
        body = raw.length ? (JSON.parse(raw.toString('utf8')) as Record<string, unknown>) : {};
      } catch {
        // Not JSON: forwarded as is.
      }
      requests.push({ target: op, body: redactBody(body) });
      const handler = handlers[op];
      if (handler && (await handler(body, res, raw, req))) return;
      const out = await forward(options.upstream, req.method ?? 'POST', req.url ?? '/', req.headers, raw);
      res.writeHead(out.status, out.headers);
      res.end(out.body);
    })().catch((error: unknown) => {
      if (!res.headersSent) fail(res, 500, 'InternalErrorException', String((error as Error).message));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    requests,
    uploads,
    links,
    hashChecks,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function relay(res: ServerResponse, out: { status: number; json: Record<string, unknown> }): true {
  res.writeHead(out.status, { 'content-type': JSON_TYPE });
  res.end(JSON.stringify(out.json));
  return true;
}

/** Passwords never sit in the recorded requests. */
function redactBody(body: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...body };
  if (out.AuthParameters && typeof out.AuthParameters === 'object')
    out.AuthParameters = { ...(out.AuthParameters as object), PASSWORD: '[redacted]' };
  if ('Password' in out) out.Password = '[redacted]';
  if ('TemporaryPassword' in out) out.TemporaryPassword = '[redacted]';
  return out;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function forward(
  upstream: string,
  method: string,
  path: string,
  headers: IncomingMessage['headers'] | Record<string, string>,
  body: Buffer,
): Promise<{ status: number; headers: Record<string, string | string[]>; body: Buffer }> {
  const url = new URL(path, upstream);
  const { host: _host, 'content-length': _len, connection: _c, ...rest } = headers as Record<string, string>;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method, headers: { ...rest, 'content-length': String(body.length) }, timeout: 30_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const out: Record<string, string | string[]> = {};
          for (const [k, v] of Object.entries(res.headers))
            if (v !== undefined && k !== 'transfer-encoding' && k !== 'connection') out[k] = v;
          resolve({ status: res.statusCode ?? 502, headers: out, body: Buffer.concat(chunks) });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('upstream timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

/** RFC 4180 CSV: quoted fields, doubled quotes, commas and newlines inside quotes. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += ch;
  }
  if (cell !== '' || row.length > 0) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}
