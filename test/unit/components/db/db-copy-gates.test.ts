import { describe, expect, it } from 'vitest';
import { foreignKeyGates } from '../../../../src/components/db/db-copy-gates.js';

const edge = (table: string, references: string) => ({ table, references });
const asObject = (gates: Map<string, Set<string>>) =>
  Object.fromEntries([...gates].map(([t, refs]) => [t, [...refs].sort()]));

describe('foreignKeyGates', () => {
  const all = new Set(['users', 'bots', 'documents', 'members', 'a', 'b', 'c', 'tree']);

  it('makes a table wait for every table it references, along a chain', () => {
    const gates = foreignKeyGates(
      [edge('bots', 'users'), edge('documents', 'bots'), edge('members', 'bots'), edge('members', 'users')],
      all,
      all,
    );
    expect(asObject(gates)).toEqual({
      bots: ['users'],
      documents: ['bots'],
      members: ['bots', 'users'],
    });
  });

  it('leaves out self-references and every edge inside a cycle, keeping edges into the cycle', () => {
    const gates = foreignKeyGates(
      [edge('tree', 'tree'), edge('a', 'b'), edge('b', 'c'), edge('c', 'a'), edge('documents', 'a')],
      all,
      all,
    );
    expect(asObject(gates)).toEqual({ documents: ['a'] });
  });

  it('does not wait for a table this run does not load, nor hold back a table that holds rows', () => {
    const loading = new Set(['bots', 'documents', 'members']);
    const fresh = new Set(['bots', 'documents']);
    const gates = foreignKeyGates(
      [edge('bots', 'users'), edge('documents', 'bots'), edge('members', 'bots')],
      loading,
      fresh,
    );
    expect(asObject(gates)).toEqual({ documents: ['bots'] });
  });
});
