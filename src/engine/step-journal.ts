import type { CreatedResource, Cursor, Json } from '../core/contracts.js';
import type { StepJournal } from '../core/step.js';
import type { OutputKey, OutputsOf } from '../core/step-outputs.js';
import type { Journal, JournalRecord } from '../state/journal.js';

const sameResource = (a: CreatedResource, b: CreatedResource) => a.kind === b.kind && a.name === b.name;

/** The journal as one step sees it: its own records to write, every step's outputs to read. */
export function stepJournal(journal: Journal, stepId: string): StepJournal {
  const own = () => journal.forStep(stepId);

  // Records after the step's last completed rollback describe the live state; older ones were undone.
  const sinceRollback = (): JournalRecord[] => {
    const records = own();
    const last = records.findLastIndex((r) => r.type === 'rolledback');
    return last === -1 ? records : records.slice(last + 1);
  };

  return {
    checkpoint(stream: string, cursor: Cursor, count: number, done = false, bytes?: number) {
      journal.append({
        type: 'checkpoint',
        stepId,
        stream,
        cursor,
        count,
        done,
        ...(bytes ? { bytes } : {}),
      });
    },
    lastCheckpoint(stream: string) {
      let count = 0;
      let found: { cursor: Cursor; count: number; done: boolean } | undefined;
      for (const r of sinceRollback()) {
        if (r.type === 'undone' && r.stream === stream) {
          found = undefined;
          count = 0;
        }
        if (r.type === 'checkpoint' && r.stream === stream) {
          count += r.count;
          found = { cursor: r.cursor, count, done: r.done === true };
        }
      }
      return found;
    },
    intent(resource: CreatedResource) {
      journal.append({ type: 'intent', stepId, resource });
    },
    created(resource: CreatedResource) {
      journal.append({ type: 'created', stepId, resource });
    },
    createdResources() {
      const live: CreatedResource[] = [];
      for (const r of sinceRollback()) {
        if (r.type === 'created' && !live.some((x) => sameResource(x, r.resource))) live.push(r.resource);
        if (r.type === 'undone' && r.resource) {
          const undone = r.resource;
          const i = live.findIndex((x) => sameResource(x, undone));
          if (i !== -1) live.splice(i, 1);
        }
      }
      return live;
    },
    pendingIntents() {
      const pending: CreatedResource[] = [];
      for (const r of sinceRollback()) {
        if (r.type === 'intent') pending.push(r.resource);
        if (r.type === 'created' || r.type === 'undone') {
          const resource = r.type === 'created' ? r.resource : r.resource;
          if (!resource) continue;
          const i = pending.findIndex((x) => sameResource(x, resource));
          if (i !== -1) pending.splice(i, 1);
        }
      }
      return pending;
    },
    undone(entry: { resource?: CreatedResource; stream?: string }) {
      journal.append({ type: 'undone', stepId, ...entry });
    },
    output(key: string, value: Json) {
      journal.append({ type: 'output', stepId, key, value });
    },
    outputOf<S extends string, K extends OutputKey<S>>(otherStep: S, key: K): OutputsOf<S>[K] | undefined {
      const records = journal.forStep(otherStep);
      const lastRollback = records.findLastIndex((r) => r.type === 'rolledback');
      for (let i = records.length - 1; i > lastRollback; i--) {
        const r = records[i];
        // The journal holds JSON; the declared type is what the writing step promises to record.
        if (r?.type === 'output' && r.key === key) return r.value as OutputsOf<S>[K];
      }
      return undefined;
    },
    records: () => own(),
  };
}
