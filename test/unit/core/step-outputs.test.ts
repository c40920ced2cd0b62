import { describe, expect, expectTypeOf, it } from 'vitest';
import type { StepJournal } from '../../../src/core/step.js';
import { openTestSession } from '../../helpers/session.js';

// Step outputs are declared with their types by the component that writes them: a reader gets the
// declared type and a key nobody declares does not compile. The type checks run in `npm run typecheck`
// (part of CI); the runtime part shows the journal gives back exactly what was written.

describe('typed step outputs', () => {
  it('types what a step declares and refuses undeclared keys', () => {
    type Read = StepJournal['outputOf'];
    expectTypeOf<ReturnType<typeof read>>().toEqualTypeOf<string | undefined>();
    function read(j: StepJournal) {
      return j.outputOf('auth.pool', 'userPoolId');
    }
    function typo(j: StepJournal) {
      // @ts-expect-error: auth.pool declares userPoolId, not userPoolID
      return j.outputOf('auth.pool', 'userPoolID');
    }
    function ranges(j: StepJournal) {
      return j.outputOf('db.copy', 'ranges:public.bots');
    }
    expectTypeOf<ReturnType<typeof ranges>>().toEqualTypeOf<
      { lo: string | null; hi: string | null }[] | undefined
    >();
    expectTypeOf<Read>().toBeFunction();
    expect([typo, ranges].length).toBe(2);
  });

  it('reads back what the step recorded, and nothing after that step was rolled back', async () => {
    const session = openTestSession({
      project: 'outputs-test',
      source: {},
      target: { aws: { region: 'eu-west-1' } },
    });
    const pool = session.context({ id: 'auth.pool' });
    pool.journal.output('userPoolId', 'eu-west-1_abc');
    const reader = session.context({ id: 'auth.users' });
    expect(reader.journal.outputOf('auth.pool', 'userPoolId')).toBe('eu-west-1_abc');
    session.journal.append({ type: 'rolledback', stepId: 'auth.pool' });
    expect(reader.journal.outputOf('auth.pool', 'userPoolId')).toBeUndefined();
    await session.close();
  });
});
