import type { CreatedResource, Cursor, Json } from './contracts.js';

// The shape of one journal line: what steps write through their StepJournal, and what state/journal.ts
// appends, fsyncs and folds.

export interface RecordBase {
  seq: number;
  at: string;
  run: string;
  stepId: string;
}

export type JournalRecord =
  | (RecordBase & { type: 'start'; operation: 'apply' | 'rollback' | 'sync' })
  /** Written before a create call, so a crash between create and `created` can be recognised on rerun. */
  | (RecordBase & { type: 'intent'; resource: CreatedResource })
  | (RecordBase & { type: 'created'; resource: CreatedResource })
  | (RecordBase & {
      type: 'checkpoint';
      stream: string;
      cursor: Cursor;
      count: number;
      done?: boolean;
      bytes?: number;
    })
  | (RecordBase & { type: 'output'; key: string; value: Json })
  | (RecordBase & { type: 'success'; summary: string })
  | (RecordBase & { type: 'failure'; error: { code: string; kind: string; message: string } })
  | (RecordBase & { type: 'undone'; resource?: CreatedResource; stream?: string })
  | (RecordBase & { type: 'rolledback' });

export type JournalEntry = JournalRecord extends infer R
  ? R extends JournalRecord
    ? Omit<R, 'seq' | 'at' | 'run'>
    : never
  : never;
