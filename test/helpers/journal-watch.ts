import { existsSync, mkdirSync, readFileSync, watch } from 'node:fs';
import { basename, dirname } from 'node:path';

// Waits for a journal (append-only JSON lines) to reach a point, woken by the file system's change
// events on its folder rather than by polling on a timer: kill-at-journal-point tests act the moment
// the record is written. Partial last lines (a write in progress) are ignored until complete.

export interface JournalLine {
  type: string;
  stream?: string;
  key?: string;
  value?: unknown;
}

export function readJournal(file: string): JournalLine[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as JournalLine];
      } catch {
        return [];
      }
    });
}

/**
 * Resolves once `reached(records)` holds for the journal at `file` (checked now and on every change in
 * its folder); rejects if `abort` (e.g. the writer's exit) settles first.
 */
export function whenJournal(
  file: string,
  reached: (records: JournalLine[]) => boolean,
  options: { abort?: Promise<unknown>; what?: string } = {},
): Promise<JournalLine[]> {
  const dir = dirname(file);
  mkdirSync(dir, { recursive: true });
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (error?: Error, records?: JournalLine[]) => {
      if (done) return;
      done = true;
      watcher.close();
      if (error) reject(error);
      else resolve(records ?? []);
    };
    const check = () => {
      const records = readJournal(file);
      if (reached(records)) finish(undefined, records);
    };
    const watcher = watch(dir, (_event, name) => {
      if (name === null || name === basename(file)) check();
    });
    options.abort?.then(
      () => finish(new Error(`the writer exited before ${options.what ?? 'the journal point'}`)),
      (e: unknown) => finish(e instanceof Error ? e : new Error(String(e))),
    );
    check();
  });
}
