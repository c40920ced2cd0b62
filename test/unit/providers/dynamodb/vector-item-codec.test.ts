import { describe, expect, it } from 'vitest';
import {
  decodeItem,
  encodePoint,
  float32BitsEqual,
  float32ToN,
  MAX_ITEM_BYTES,
  pointIdToString,
  stringToPointId,
} from '../../../../src/providers/dynamodb/vector-item-codec.js';

const target = {
  collection: 'docs',
  dims: 4,
  distance: 'COSINE' as const,
  vectorAttribute: 'embedding_4_cosine',
};
const layout = { filterFields: [] };

describe('vector item codec', () => {
  it('keeps every float32 bit-exact through the N strings, including extremes', () => {
    const values = new Float32Array([
      0.1,
      -1 / 3,
      3.4028234663852886e38,
      1.401298464324817e-45,
      1e-38,
      123456.789,
      -0.5,
      2 ** -20,
    ]);
    for (let i = 0; i < 2000; i++)
      values.set([Math.fround((Math.random() - 0.5) * 10 ** Math.floor(Math.random() * 10 - 5))], i % 8);
    for (const f of values) {
      const n = float32ToN(f);
      const back = new Float32Array([Number(n)]);
      expect(float32BitsEqual(back, new Float32Array([f]))).toBe(true);
      expect(n.length).toBeLessThanOrEqual(16);
    }
    const vector = [0.1, 0.2, 0.30000001192092896, -0.7];
    const e = encodePoint({ id: 7, vector, payload: {} }, target, layout);
    expect(e.ok).toBe(true);
    if (!e.ok) return;
    const d = decodeItem(e.item, target.vectorAttribute);
    expect(float32BitsEqual(d.vector!, Float32Array.from(vector))).toBe(true);
  });

  it('keys integer and UUID ids reversibly', () => {
    for (const id of [0, 42, 2 ** 53 - 1, '6F2C1C52-3F0E-4BD5-9D1A-5A2F0D3C9E11']) {
      const s = pointIdToString(id);
      expect(stringToPointId(s)).toEqual(typeof id === 'string' ? id.toLowerCase() : id);
      const e = encodePoint({ id, vector: [1, 0, 0, 0], payload: {} }, target, layout);
      expect(e.ok && e.item.sk?.S).toBe(s);
      expect(e.ok && e.item.pk?.S).toBe('docs');
    }
  });

  it('maps payload losslessly: nested, arrays, nulls, empty strings, numbers', () => {
    const payload = {
      text: '',
      n: 1.5e-7,
      big: 9007199254740991,
      neg: -0.25,
      nothing: null,
      flag: false,
      tags: ['a', '', 3, null, { deep: [1, [2]] }],
      meta: { author: { name: 'Zoë 🚀', ids: [] }, empty: {} },
    };
    const e = encodePoint({ id: 1, vector: [1, 2, 3, 4], payload }, target, layout);
    expect(e.ok).toBe(true);
    if (!e.ok) return;
    expect(e.item.payload?.M?.n).toEqual({ N: '1.5e-7' });
    expect(decodeItem(e.item, target.vectorAttribute).payload).toEqual(payload);
  });

  it('rejects, per point, what DynamoDB cannot store or index', () => {
    const reason = (vector: unknown, payload = {}, t = target) => {
      const e = encodePoint({ id: 1, vector, payload }, t, layout);
      return e.ok ? 'ok' : e.reason;
    };
    expect(reason([1, 2, 3])).toMatch(/3 dimensions; the collection declares 4/);
    expect(reason([1, Number.NaN, 0, 0])).toMatch(/not a finite float32/);
    expect(reason([1, null, 0, 0])).toMatch(/NaN or Infinity/);
    expect(reason([1, 1e39, 0, 0])).toMatch(/not a finite float32/);
    expect(reason([0, 0, 0, 0])).toMatch(/zero vector/);
    expect(reason([0, 0, 0, 0], {}, { ...target, distance: 'EUCLIDEAN' as 'COSINE' })).toBe('ok');
    expect(reason([[1, 2, 3, 4]])).toMatch(/multivector/);
    expect(reason({ indices: [1], values: [0.5] })).toMatch(/sparse/);
    expect(reason([1, 0, 0, 0], { '': 1 })).toMatch(/empty key/);
    expect(reason([1, 0, 0, 0], { x: 1e300 })).toMatch(/number range/);
    const huge = encodePoint(
      { id: 9, vector: [1, 0, 0, 0], payload: { text: 'x'.repeat(MAX_ITEM_BYTES) } },
      target,
      layout,
    );
    expect(huge.ok ? 'ok' : huge.reason).toMatch(/400 KB/);
  });

  it('partitions by a payload field with the collection in the sort key, and copies filter fields', () => {
    const e = encodePoint({ id: 5, vector: [1, 0, 0, 0], payload: { bot_id: 'b1', lang: 'en' } }, target, {
      partitionField: 'bot_id',
      filterFields: ['lang'],
    });
    expect(e.ok && [e.item.pk?.S, e.item.sk?.S, e.item.lang?.S]).toEqual(['b1', 'docs#5', 'en']);
    const missing = encodePoint({ id: 6, vector: [1, 0, 0, 0], payload: {} }, target, {
      partitionField: 'bot_id',
      filterFields: [],
    });
    expect(missing.ok ? 'ok' : missing.reason).toMatch(/bot_id/);
  });
});
