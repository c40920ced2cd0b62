import { describe, expect, it } from 'vitest';
import type { TableInfo } from '../../../../src/providers/postgres/catalog.js';
import { rangeCount } from '../../../../src/providers/postgres/ranges.js';

const MiB = 1024 * 1024;
const table = (over: Partial<TableInfo>): TableInfo => ({
  schema: 'public',
  name: 't',
  columns: [],
  primaryKey: ['id'],
  keyKind: 'integer',
  keyType: 'bigint',
  keyCollatable: false,
  estimatedRows: 1_000_000,
  estimatedBytes: 400 * MiB,
  keyCorrelation: 1,
  binarySafe: true,
  publishable: true,
  ...over,
});
const split = { splitBytes: 32 * MiB, maxRanges: 32, jobs: 4 };

describe('rangeCount', () => {
  it('splits a table whose key follows the physical order by size, up to maxRanges', () => {
    expect(rangeCount(table({}), split)).toBe(13);
    expect(rangeCount(table({ keyCorrelation: -0.95 }), split)).toBe(13);
    expect(rangeCount(table({}), { ...split, maxRanges: 5 })).toBe(5);
    expect(rangeCount(table({ estimatedBytes: 10 * MiB }), split)).toBe(1);
  });

  it('splits an unordered key only for half the workers: each range rereads the whole table', () => {
    expect(rangeCount(table({ keyKind: 'other', keyType: 'uuid', keyCorrelation: 0.01 }), split)).toBe(2);
    expect(rangeCount(table({ keyCorrelation: 0.3 }), { ...split, jobs: 8 })).toBe(4);
    expect(rangeCount(table({ keyCorrelation: 0.3 }), { ...split, jobs: 1 })).toBe(1);
    // A text key is compared under "C", which the source's index cannot serve, whatever the correlation.
    expect(rangeCount(table({ keyKind: 'other', keyType: 'text', keyCollatable: true }), split)).toBe(2);
  });

  it('without statistics, trusts an integer key to be a serial and nothing else', () => {
    expect(rangeCount(table({ keyCorrelation: null }), split)).toBe(13);
    expect(rangeCount(table({ keyKind: 'other', keyType: 'uuid', keyCorrelation: null }), split)).toBe(2);
  });

  it('never splits a table without a primary key', () => {
    expect(rangeCount(table({ primaryKey: [], keyKind: null, keyType: null }), split)).toBe(1);
  });
});
