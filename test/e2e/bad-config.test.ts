import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { type ConfigDraft, e2eWorkspace } from '../helpers/e2e-config.js';

type Mutate = (c: ConfigDraft) => void;

interface Case {
  name: string;
  mutate?: Mutate;
  raw?: string;
  env?: Record<string, string | undefined>;
  /** Every string must appear in stderr: the JSON path, the problem, the expected form. */
  expect: string[];
}

const cases: Case[] = [
  {
    name: 'malformed JSON',
    raw: '{\n  "project": "x",\n  "source": {,\n}',
    expect: ['is not valid JSON', 'line 3'],
  },
  {
    name: 'unknown top-level key',
    mutate: (c) => {
      c.sourse = {};
    },
    expect: ['unknown key(s) sourse'],
  },
  {
    name: 'misspelt nested key',
    mutate: (c) => {
      c.target.aws.endpoint = 'http://x';
    },
    expect: ['target.aws.endpoint', 'unknown key'],
  },
  {
    name: 'wrong type',
    mutate: (c) => {
      c.jobs = 'four';
    },
    expect: ['jobs: expected number', 'got "four"'],
  },
  {
    name: 'missing env var',
    env: { TEST_AWS_SECRET: undefined },
    expect: [
      'target.aws.credentials.secretAccessKey',
      'TEST_AWS_SECRET is not set',
      'Export TEST_AWS_SECRET',
    ],
  },
  {
    name: 'empty env var',
    env: { TEST_AWS_SECRET: '' },
    expect: ['target.aws.credentials.secretAccessKey', 'TEST_AWS_SECRET is empty', 'TEST_AWS_SECRET'],
  },
  {
    name: 'bad region',
    mutate: (c) => {
      c.target.aws.region = 'europe';
    },
    expect: ['target.aws.region', 'expected an AWS region', 'got "europe"'],
  },
  {
    name: 'region of no AWS partition',
    mutate: (c) => {
      c.target.aws.region = 'xx-west-1';
    },
    expect: ['target.aws.region', 'matches no AWS partition', 'got "xx-west-1"'],
  },
  {
    name: 'unreachable endpoint',
    mutate: (c) => {
      c.target.aws.endpoints.dynamodb = 'http://127.0.0.1:1';
    },
    expect: ['target.aws.endpoints.dynamodb', '127.0.0.1:1', 'connection refused'],
  },
  {
    name: 'invalid bucket name',
    mutate: (c) => {
      c.target.s3.bucket = 'My_Bucket';
    },
    expect: ['target.s3.bucket', 'expected an S3 bucket name', 'got "My_Bucket"'],
  },
  {
    name: 'unknown rds mode',
    mutate: (c) => {
      c.target.rds = { mode: 'mysql', url: 'postgres://h/db' };
    },
    expect: ['target.rds.mode', 'expected one of "pg", "data-api"'],
  },
  {
    name: 'database URL of the wrong kind',
    mutate: (c) => {
      c.source.supabase.dbUrl = 'mysql://root@localhost/app';
    },
    expect: ['source.supabase.dbUrl', 'expected a PostgreSQL URL'],
  },
  {
    name: 'invalid project name',
    mutate: (c) => {
      c.project = 'My Project';
    },
    expect: ['project:', 'lower-case'],
  },
  {
    name: 'missing required section',
    mutate: (c) => {
      delete c.target.aws;
    },
    expect: ['target.aws', 'expected object', 'the key is missing'],
  },
  {
    name: 'empty list',
    mutate: (c) => {
      c.source.qdrant = { url: 'http://127.0.0.1:6333', collections: [] };
    },
    expect: ['source.qdrant.collections', 'at least one'],
  },
  {
    name: 'Data API ARN malformed',
    mutate: (c) => {
      c.target.rds = {
        mode: 'data-api',
        resourceArn: 'cluster-1',
        secretArn: 'arn:aws:secretsmanager:us-east-1:1:secret:x',
        database: 'app',
      };
    },
    expect: ['target.rds.resourceArn', 'expected an RDS cluster ARN'],
  },
  {
    name: 'unreachable database',
    mutate: (c) => {
      c.source.supabase.dbUrl = 'postgres://postgres@127.0.0.1:1/postgres';
    },
    expect: ['source.supabase.dbUrl', '127.0.0.1:1'],
  },
  {
    name: 'negative number',
    mutate: (c) => {
      c.sync = { maxLagSeconds: -1 };
    },
    expect: ['sync.maxLagSeconds'],
  },
];

describe('bad configs give exit 2 naming the JSON path', () => {
  it.each(cases)('$name', async (c) => {
    const ws = e2eWorkspace(c.mutate);
    if (c.raw !== undefined) writeFileSync(ws.configPath, c.raw);
    const env: NodeJS.ProcessEnv = { ...ws.env };
    for (const [k, v] of Object.entries(c.env ?? {}))
      if (v === undefined) delete env[k];
      else env[k] = v;
    // The child inherits this process's env: an undefined value makes spawn leave the variable out,
    // so a removed variable is really unset (an empty one is a different case, reported as empty).
    const unset = Object.entries(c.env ?? {})
      .filter(([, v]) => v === undefined)
      .map(([k]) => k);
    const r = await runCli(['--config', ws.configPath, 'plan'], {
      env: { ...env, ...Object.fromEntries(unset.map((k) => [k, undefined])) },
    });
    expect(r.code, r.stderr).toBe(2);
    for (const s of c.expect) expect(r.stderr).toContain(s);
    expect(r.stderr).toMatch(/next: /);
  });

  it('a missing config file says how to make one', async () => {
    const ws = e2eWorkspace();
    const r = await runCli(['--config', join(ws.dir, 'nope.json'), 'plan']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('No config file at');
    expect(r.stderr).toContain('engify-migrate init');
  });

  it('a bad --phase is a usage error', async () => {
    const ws = e2eWorkspace();
    const r = await runCli(['--config', ws.configPath, 'apply', '--phase', '7', '--yes'], { env: ws.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--phase must be 1, 2, 3 or 4; got "7"');
  });
});
