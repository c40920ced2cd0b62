import { closeSync, existsSync, fsyncSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import type { Redactor } from '../config/redact.js';
import { EngifyError } from '../core/errors.js';
import type { JournalEntry, JournalRecord } from '../core/journal-record.js';
import { messages } from '../core/messages.js';
import { ensureStateDir } from './ensure-dir.js';

// Append-only JSON lines, fsync'd after every record. A `kill -9` can leave at most one torn (partial)
// last line; reading ignores it and the next append first cuts it off, so the file stays well formed.

// What a record must look like when read back. Steps decide resume, rollback and verify from these
// fields, so a record of the wrong shape is refused rather than half-understood. Objects are loose: a
// field this version does not know is kept, not stripped (the file is never rewritten from them).
const resourceSchema = z.looseObject({ kind: z.string(), name: z.string(), id: z.string().optional() });
const base = { seq: z.number().int(), at: z.string(), run: z.string(), stepId: z.string() };
// JSON.stringify drops an undefined cursor or output value, so a missing one is read back as undefined.
const recordSchema = z.discriminatedUnion('type', [
  z.looseObject({ ...base, type: z.literal('start'), operation: z.enum(['apply', 'rollback', 'sync']) }),
  z.looseObject({ ...base, type: z.literal('intent'), resource: resourceSchema }),
  z.looseObject({ ...base, type: z.literal('created'), resource: resourceSchema }),
  z.looseObject({
    ...base,
    type: z.literal('checkpoint'),
    stream: z.string(),
    cursor: z.json().optional(),
    count: z.number(),
    done: z.boolean().optional(),
  }),
  z.looseObject({ ...base, type: z.literal('output'), key: z.string(), value: z.json().optional() }),
  z.looseObject({ ...base, type: z.literal('success'), summary: z.string() }),
  z.looseObject({
    ...base,
    type: z.literal('failure'),
    error: z.looseObject({ code: z.string(), kind: z.string(), message: z.string() }),
  }),
  z.looseObject({
    ...base,
    type: z.literal('undone'),
    resource: resourceSchema.optional(),
    stream: z.string().optional(),
  }),
  z.looseObject({ ...base, type: z.literal('rolledback') }),
]);

export type { JournalEntry, JournalRecord };

export class Journal {
  private fd: number | undefined;
  private records: JournalRecord[];
  private seq: number;

  constructor(
    readonly path: string,
    readonly run: string,
    private readonly redactor?: Redactor,
  ) {
    this.records = readJournal(path);
    this.seq = this.records.at(-1)?.seq ?? 0;
  }

  all(): readonly JournalRecord[] {
    return this.records;
  }

  forStep(stepId: string): JournalRecord[] {
    return this.records.filter((r) => r.stepId === stepId);
  }

  append(entry: JournalEntry): JournalRecord {
    if (this.fd === undefined) this.open();
    const record = {
      seq: ++this.seq,
      at: new Date().toISOString(),
      run: this.run,
      ...(this.redactor ? this.redactor.redactValue(entry) : entry),
    } as JournalRecord;
    const line = `${JSON.stringify(record)}\n`;
    writeSync(this.fd as number, line);
    fsyncSync(this.fd as number);
    this.records.push(record);
    return record;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private open(): void {
    ensureStateDir(dirname(this.path));
    const fd = openSync(this.path, 'a+');
    // Cut a torn last line left by a crash so the next record starts on its own line.
    if (existsSync(this.path)) {
      const text = readFileSync(this.path, 'utf8');
      if (text.length > 0 && !text.endsWith('\n')) {
        const keep = Buffer.byteLength(text.slice(0, text.lastIndexOf('\n') + 1));
        ftruncateSync(fd, keep);
        fsyncSync(fd);
      }
    }
    this.fd = fd;
  }
}

export function readJournal(path: string): JournalRecord[] {
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  // The final element is '' for a well-formed file, or a torn line after a crash: drop it either way.
  // Any other line was written whole (each record is one write ending in a newline), so a damaged one
  // is a real loss of history: refuse it, naming the line, rather than resume or roll back without it.
  lines.pop();
  const out: JournalRecord[] = [];
  for (const [index, line] of lines.entries()) {
    if (line.trim() === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw corrupt(path, index + 1, messages.state.journalNotJson);
    }
    const checked = recordSchema.safeParse(parsed);
    if (!checked.success) {
      const problems = checked.error.issues.map(
        (issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'the record'}: ${issue.message}`,
      );
      throw corrupt(path, index + 1, messages.state.journalBadRecord(problems));
    }
    out.push(checked.data as JournalRecord);
  }
  return out;
}

function corrupt(path: string, line: number, problem: string): EngifyError {
  return new EngifyError({
    code: 'JOURNAL_CORRUPT',
    kind: 'config',
    message: messages.state.journalCorrupt(path, line, problem),
    hint: messages.state.journalCorruptHint(path, line),
  });
}
