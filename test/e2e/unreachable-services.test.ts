import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { type ConfigDraft, e2eWorkspace } from '../helpers/e2e-config.js';

// One rule for a service that does not answer before anything ran: exit 2, naming the config field and
// the host, and nothing journaled. "Does not answer" covers nothing listening, and a listener that takes
// the TCP connection and drops it (a tunnel, port-forward or load balancer with nothing behind it).

let dropping: Server;
let droppingPort: number;
const held: Socket[] = [];

async function listen(onConnection: (socket: Socket) => void): Promise<[Server, number]> {
  const server = createServer(onConnection);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  return [server, typeof address === 'object' && address ? address.port : 0];
}

beforeAll(async () => {
  [dropping, droppingPort] = await listen((socket) => {
    held.push(socket);
    socket.destroy();
  });
});
afterAll(async () => {
  await new Promise<void>((resolve) => dropping.close(() => resolve()));
});

interface Case {
  name: string;
  field: string;
  mutate: (c: ConfigDraft, port: number) => void;
}

const cases: Case[] = [
  {
    name: 'source database',
    field: 'source.supabase.dbUrl',
    mutate: (c, port) => {
      c.source.supabase.dbUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
    },
  },
  {
    name: 'target database',
    field: 'target.rds.url',
    mutate: (c, port) => {
      c.target.rds = { mode: 'pg', url: `postgres://app@127.0.0.1:${port}/app`, createDatabase: true };
    },
  },
  {
    name: 'AWS endpoint',
    field: 'target.aws.endpoints.cognito',
    mutate: (c, port) => {
      c.target.aws.endpoints = { ...c.target.aws.endpoints, cognito: `http://127.0.0.1:${port}` };
    },
  },
];

const journalRecords = (dir: string): string[] => {
  const path = join(dir, '.engify', 'journal.jsonl');
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : [];
};

describe('an unreachable service is exit 2 before anything runs, whichever it is', () => {
  for (const c of cases) {
    for (const how of ['nothing listens', 'the connection is dropped'] as const) {
      it(`${c.name}: ${how}`, async () => {
        // Port 1 on loopback: nothing listens there on a test machine.
        const port = how === 'nothing listens' ? 1 : droppingPort;
        const ws = e2eWorkspace((config) => c.mutate(config, port));
        for (const args of [['plan'], ['apply', '--phase', '1', '--yes']]) {
          const r = await runCli(['--config', ws.configPath, ...args], { env: ws.env });
          expect(r.code, `${args.join(' ')}\n${r.stdout}${r.stderr}`).toBe(2);
          expect(r.stderr).toContain(`${c.field}: cannot reach 127.0.0.1:${port}`);
          expect(r.stderr).toMatch(/next: /);
          expect(journalRecords(ws.dir)).toEqual([]);
        }
      }, 90_000);
    }
  }
});
