import {
  closeSync,
  existsSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import type { Redactor } from '../config/redact.js';
import type { JournalEntry, JournalRecord } from '../core/journal-record.js';

// Append-only JSON lines, fsync'd after every record. A `kill -9` can leave at most one torn (partial)
// last line; reading ignores it and the next append first cuts it off, so the file stays well formed.

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
    mkdirSync(dirname(this.path), { recursive: true });
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
  lines.pop();
  const out: JournalRecord[] = [];
  for (const line of lines) {
    if (line.trim() === '') continue;
    out.push(JSON.parse(line) as JournalRecord);
  }
  return out;
}
