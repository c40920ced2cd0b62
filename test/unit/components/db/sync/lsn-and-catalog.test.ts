import { describe, expect, it } from 'vitest';
import { columnDifferences, type TableInfo } from '../../../../../src/components/db/sync/catalog.js';
import {
  decodeTriggerPosition,
  encodeTriggerPosition,
} from '../../../../../src/components/db/sync/trigger-capture.js';
import { bigIntToLsn, compareLsn, lsnToBigInt, maxLsn } from '../../../../../src/providers/postgres/lsn.js';
import { loadTestConfig } from '../../../../helpers/session.js';

describe('LSN arithmetic', () => {
  it('orders LSNs numerically across the high word, not as text', () => {
    expect(compareLsn('0/FFFFFFFF', '1/0')).toBe(-1);
    expect(compareLsn('A/10', '9/FFFFFFF0')).toBe(1);
    expect(compareLsn('16/B374D848', '16/b374d848')).toBe(0);
    expect(maxLsn('2/0', '10/0')).toBe('10/0');
  });
  it('round-trips through bigint', () => {
    expect(bigIntToLsn(lsnToBigInt('16/B374D848') - 1n)).toBe('16/B374D847');
    expect(bigIntToLsn(lsnToBigInt('1/0') - 1n)).toBe('0/FFFFFFFF');
    expect(() => lsnToBigInt('not-an-lsn')).toThrow(/not an LSN/);
  });
});

describe('column differences (schema change detection)', () => {
  const target: TableInfo = {
    table: { schema: 'public', name: 't' },
    columns: [
      { name: 'id', type: 'integer', typeOid: 23, generated: false },
      { name: 'name', type: 'text', typeOid: 25, generated: false },
      { name: 'status', type: 'mood', typeOid: 16500, generated: false },
      { name: 'upper_name', type: 'text', typeOid: 25, generated: true },
    ],
    writable: [],
    primaryKey: ['id'],
    replicaIdentity: 'd',
  };
  target.writable = target.columns.filter((c) => !c.generated);

  it('is empty when the columns match (user type oids and generated columns ignored)', () => {
    expect(
      columnDifferences(
        [
          { name: 'id', typeOid: 23 },
          { name: 'name', typeOid: 25 },
          { name: 'status', typeOid: 17000 },
          { name: 'upper_name' },
        ],
        target,
      ),
    ).toEqual([]);
  });
  it('names added, dropped and retyped columns', () => {
    expect(
      columnDifferences(
        [
          { name: 'id', typeOid: 20 },
          { name: 'status', typeOid: 17000 },
          { name: 'extra', typeOid: 25 },
        ],
        target,
      ),
    ).toEqual([
      'column id changed type (target has integer)',
      'column extra only on the source',
      'column name only on the target',
    ]);
  });
});

describe('trigger-capture position', () => {
  it('round-trips and rejects foreign text', () => {
    const p = { prev: '10:20:12,15', cur: '18:25:', after: '991' };
    expect(decodeTriggerPosition(encodeTriggerPosition(p))).toEqual(p);
    expect(() => decodeTriggerPosition('{"x":1}')).toThrow(/trigger-capture position/);
  });
});

describe('sync config section', () => {
  const base = { project: 'p', source: {}, target: { aws: { region: 'eu-west-1' } } };
  it('defaults mode to auto and batches to 1000 changes / 200 ms', () => {
    const { config } = loadTestConfig(base);
    expect(config.sync).toMatchObject({
      mode: 'auto',
      batchSize: 1000,
      maxBatchDelayMs: 200,
      reverseSlot: 'engify_reverse',
    });
  });
  it('rejects an unknown mode and a bad slot name, naming the field', () => {
    expect(() => loadTestConfig({ ...base, sync: { mode: 'cdc' } })).toThrow(/sync\.mode/);
    expect(() => loadTestConfig({ ...base, sync: { slot: 'Bad-Slot' } })).toThrow(/sync\.slot/);
  });
});
