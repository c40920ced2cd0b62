import { createHash } from 'node:crypto';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { Json } from '../../core/contracts.js';

// One DynamoDB item per Qdrant point.
//   pk            S  the collection, or the value of the configured partition payload field (e.g. bot_id)
//   sk            S  the point id as a string (with "<collection>#" in front when pk is a payload field, so
//                    two collections sharing a partition value never collide)
//   collection    S  the source collection;  point_id S  the id as a string: decimal for integer ids,
//                    lower-case hyphenated for UUIDs (the two forms never overlap, so the id is reversible)
//   <vector attr> L  of N: the vector as the index requires it ("a list of 32-bit IEEE-754 numbers in
//                    DynamoDB list format", SearchVectorsInput), each N the shortest decimal that reads
//                    back as the same float32
//   payload       M  the payload, losslessly (nested maps, lists, NULL, empty strings, numbers as N)
//   <filter field>   top-level copies of the configured inline-filter payload fields
//   content_hash  S  hash of vector bits + payload, for the incremental diff
//   migrated_by   S  marks items this tool wrote: rollback deletes only those

export const MIGRATED_BY = 'engify-migrate:qdrant';
/** DynamoDB's item size limit (400 KB, names and values counted). */
export const MAX_ITEM_BYTES = 400 * 1024;
const RESERVED = new Set(['pk', 'sk', 'collection', 'point_id', 'payload', 'content_hash', 'migrated_by']);

export type Item = Record<string, AttributeValue>;
export type Distance = 'COSINE' | 'EUCLIDEAN' | 'DOT_PRODUCT';

export interface ItemLayout {
  partitionField?: string;
  filterFields: string[];
}

export interface EncodeTarget {
  collection: string;
  dims: number;
  distance: Distance;
  vectorAttribute: string;
}

export type Encoded =
  | { ok: true; key: string; item: Item; bytes: number }
  | { ok: false; key: string; reason: string };

export function pointIdToString(id: number | string): string {
  return typeof id === 'number' ? String(id) : id.toLowerCase();
}

export function stringToPointId(s: string): number | string {
  return /^\d+$/.test(s) ? Number(s) : s;
}

/** Shortest decimal string whose float32 reading is exactly `f` (which must already be a float32). */
export function float32ToN(f: number): string {
  // Values parsed from Qdrant's own shortest-float32 JSON already print short; check that first.
  if (Object.is(f, -0)) return '-0';
  const direct = String(f);
  if (direct.length <= 12) return direct;
  const exact = Math.fround(f);
  for (let p = 6; p <= 9; p++) {
    const s = exact.toPrecision(p);
    if (Math.fround(Number(s)) === exact) return String(Number(s));
  }
  return String(exact);
}

export function keyOf(collection: string, id: number | string): string {
  return `${collection}/${pointIdToString(id)}`;
}

/** DynamoDB N: 38 significant digits, magnitude 1E-130 .. 9.99E+125. Doubles outside cannot be stored. */
function numberToN(n: number): string | undefined {
  if (!Number.isFinite(n)) return undefined;
  const a = Math.abs(n);
  if (a !== 0 && (a < 1e-130 || a >= 1e126)) return undefined;
  return String(n);
}

class PayloadError extends Error {}

export function jsonToAttribute(value: Json, path: string): AttributeValue {
  if (value === null) return { NULL: true };
  if (typeof value === 'boolean') return { BOOL: value };
  if (typeof value === 'string') return { S: value };
  if (typeof value === 'number') {
    const n = numberToN(value);
    if (n === undefined)
      throw new PayloadError(`payload ${path} = ${value} is outside DynamoDB's number range`);
    return { N: n };
  }
  if (Array.isArray(value)) return { L: value.map((v, i) => jsonToAttribute(v, `${path}[${i}]`)) };
  const M: Record<string, AttributeValue> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k.length === 0)
      throw new PayloadError(`payload ${path} has an empty key, which DynamoDB cannot store`);
    M[k] = jsonToAttribute(v, `${path}.${k}`);
  }
  return { M };
}

export function attributeToJson(value: AttributeValue): Json {
  if (value.NULL) return null;
  if (value.BOOL !== undefined) return value.BOOL;
  if (value.S !== undefined) return value.S;
  if (value.N !== undefined) return Number(value.N);
  if (value.L !== undefined) return value.L.map(attributeToJson);
  if (value.M !== undefined) {
    const out: Record<string, Json> = {};
    for (const [k, v] of Object.entries(value.M)) out[k] = attributeToJson(v);
    return out;
  }
  throw new Error(`unsupported attribute type ${Object.keys(value).join(',')}`);
}

/** Item size as DynamoDB counts it (UTF-8 names and strings, numbers ~1 byte per 2 digits + 1, 3 bytes per L/M). */
export function attributeSize(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S);
  if (value.N !== undefined) return Math.ceil(significantDigits(value.N) / 2) + 1;
  if (value.NULL !== undefined || value.BOOL !== undefined) return 1;
  if (value.L !== undefined) return 3 + value.L.reduce((n, v) => n + 1 + attributeSize(v), 0);
  if (value.M !== undefined) {
    return (
      3 + Object.entries(value.M).reduce((n, [k, v]) => n + Buffer.byteLength(k) + 1 + attributeSize(v), 0)
    );
  }
  if (value.B !== undefined) return value.B.length;
  return 0;
}

/** Significant digits of a DynamoDB N: sign, point and exponent dropped, leading and trailing zeros trimmed. */
function significantDigits(n: string): number {
  const digits = n
    .replace(/e.*$/i, '')
    .replace(/[-+.]/g, '')
    .replace(/^0+|0+$/g, '');
  return Math.max(1, digits.length);
}

export function itemSize(item: Item): number {
  let n = 0;
  for (const [k, v] of Object.entries(item)) n += Buffer.byteLength(k) + attributeSize(v);
  return n;
}

/** Canonical JSON (sorted keys) so equal payloads hash equally whatever their key order. */
export function canonicalJson(value: Json): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  return `{${Object.keys(value)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k] as Json)}`)
    .join(',')}}`;
}

export function contentHash(vector: Float32Array, payload: Record<string, Json>): string {
  return createHash('sha256')
    .update(new Uint8Array(vector.buffer, vector.byteOffset, vector.byteLength))
    .update(canonicalJson(payload))
    .digest('base64url')
    .slice(0, 22);
}

/** Checks the vector and returns it as float32; a string reason when the point cannot be indexed. */
export function toFloat32(raw: unknown, target: EncodeTarget): Float32Array | string {
  if (!Array.isArray(raw)) {
    if (raw && typeof raw === 'object' && 'indices' in raw)
      return 'sparse vector: DynamoDB vector indexes are dense only';
    return 'no dense vector';
  }
  if (raw.length > 0 && Array.isArray(raw[0]))
    return 'multivector: DynamoDB vector indexes hold one vector per item';
  if (raw.length !== target.dims)
    return `vector has ${raw.length} dimensions; the collection declares ${target.dims}`;
  const out = new Float32Array(raw.length);
  let norm = 0;
  for (let i = 0; i < raw.length; i++) {
    const x = raw[i];
    if (typeof x !== 'number' || !Number.isFinite(x) || !Number.isFinite(Math.fround(x))) {
      return `vector[${i}] is ${x === null ? 'null (NaN or Infinity in Qdrant)' : String(x)}: not a finite float32`;
    }
    out[i] = x;
    norm += out[i]! * out[i]!;
  }
  if (target.distance === 'COSINE' && norm === 0)
    return 'zero vector: it has no direction under COSINE distance';
  return out;
}

export function encodePoint(
  point: { id: number | string; vector: unknown; payload: Record<string, Json> },
  target: EncodeTarget,
  layout: ItemLayout,
): Encoded {
  const idString = pointIdToString(point.id);
  const key = keyOf(target.collection, point.id);
  const vector = toFloat32(point.vector, target);
  if (typeof vector === 'string') return { ok: false, key, reason: vector };
  let pk = target.collection;
  let sk = idString;
  if (layout.partitionField) {
    const v = point.payload[layout.partitionField];
    if (typeof v !== 'string' && typeof v !== 'number') {
      return {
        ok: false,
        key,
        reason: `payload field ${layout.partitionField} (the partition key) is missing or not a string/number`,
      };
    }
    if (v === '')
      return {
        ok: false,
        key,
        reason: `payload field ${layout.partitionField} (the partition key) is empty`,
      };
    pk = String(v);
    sk = `${target.collection}#${idString}`;
  }
  let payload: AttributeValue;
  const item: Item = {
    pk: { S: pk },
    sk: { S: sk },
    collection: { S: target.collection },
    point_id: { S: idString },
  };
  try {
    payload = jsonToAttribute(point.payload, 'payload');
    for (const field of layout.filterFields) {
      if (RESERVED.has(field) || field === target.vectorAttribute) {
        return {
          ok: false,
          key,
          reason: `filter field ${field} collides with an attribute the migration uses`,
        };
      }
      const v = point.payload[field];
      if (v !== undefined) item[field] = jsonToAttribute(v, `payload.${field}`);
    }
  } catch (error) {
    if (error instanceof PayloadError) return { ok: false, key, reason: error.message };
    throw error;
  }
  const list: AttributeValue[] = new Array(vector.length);
  for (let i = 0; i < vector.length; i++) list[i] = { N: float32ToN(vector[i]!) };
  item[target.vectorAttribute] = { L: list };
  item.payload = payload;
  item.content_hash = { S: contentHash(vector, point.payload) };
  item.migrated_by = { S: MIGRATED_BY };
  const bytes = itemSize(item);
  if (bytes > MAX_ITEM_BYTES) {
    return {
      ok: false,
      key,
      reason: `item is ${bytes} bytes; DynamoDB's limit is ${MAX_ITEM_BYTES} (400 KB)`,
    };
  }
  return { ok: true, key, item, bytes };
}

export interface DecodedItem {
  collection: string;
  id: number | string;
  vector?: Float32Array;
  payload: Record<string, Json>;
}

export function decodeItem(item: Item, vectorAttribute: string): DecodedItem {
  const list = item[vectorAttribute]?.L;
  return {
    collection: item.collection?.S ?? '',
    id: stringToPointId(item.point_id?.S ?? ''),
    ...(list ? { vector: Float32Array.from(list, (v) => Number(v.N)) } : {}),
    payload: (item.payload ? attributeToJson(item.payload) : {}) as Record<string, Json>,
  };
}

/** Float32 bit patterns equal (so -0 vs 0 and NaN payloads count as differences). */
export function float32BitsEqual(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) return false;
  return true;
}
