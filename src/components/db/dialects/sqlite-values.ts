import { createHash } from 'node:crypto';

// SQLite values in PostgreSQL's terms. Each copied column has a kind, fixed by the type mapping
// (sqlite-schema.ts); for each kind, `copyText` is what the text COPY sends and `pgText` is the text the
// target prints for the stored value under CANONICAL_TEXT_SETTINGS (UTC, ISO dates, extra_float_digits
// 1, hex bytea). verify hashes pgText rows here exactly as checksum.ts hashes ROW(...)::text on the
// target, so the two sides compare normalised values, not the bytes each database happens to keep.
//
// Values come from better-sqlite3 with safeIntegers on: integer -> bigint, real -> number,
// text -> string, blob -> Buffer, NULL -> null.

export type ValueKind =
  | { kind: 'integer' }
  | { kind: 'float' }
  | { kind: 'numeric'; scale: number | null }
  | { kind: 'text' }
  | { kind: 'boolean' }
  | { kind: 'timestamp'; from: 'iso' | 'seconds' | 'milliseconds' }
  | { kind: 'date' }
  | { kind: 'bytea' }
  | { kind: 'json' };

const TRUE_TEXT = new Set(['1', 'true', 't', 'yes', 'y']);
const FALSE_TEXT = new Set(['0', 'false', 'f', 'no', 'n']);

/** Whether a stored value reads as a boolean under the rule the plan shows. */
export function booleanOf(v: unknown): boolean | undefined {
  if (typeof v === 'bigint') return v === 1n ? true : v === 0n ? false : undefined;
  if (typeof v === 'number') return v === 1 ? true : v === 0 ? false : undefined;
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    return TRUE_TEXT.has(s) ? true : FALSE_TEXT.has(s) ? false : undefined;
  }
  return undefined;
}

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;
const MICROS = 1_000_000n;
/** 0001-01-01 .. 9999-12-31 in Unix microseconds. */
const MIN_MICROS = -62135596800n * MICROS;
const MAX_MICROS = 253402300799n * MICROS;

/** Unix microseconds of an ISO-8601 text (no offset: UTC), or undefined when it is not one. */
export function isoMicros(text: string): bigint | undefined {
  const m = ISO.exec(text.trim());
  if (!m) return undefined;
  const [y, mo, d, h = '0', mi = '0', s = '0'] = m.slice(1, 7).map((x) => x ?? '0') as string[];
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > 31 || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59)
    return undefined;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  if (date.getUTCDate() !== day) return undefined;
  date.setUTCHours(Number(h), Number(mi), Number(s), 0);
  const frac = m[7] ?? '';
  // Microseconds, rounded half up past the sixth digit.
  let micros = BigInt(`${frac.slice(0, 6)}`.padEnd(6, '0'));
  if (frac.length > 6 && Number(frac[6]) >= 5) micros += 1n;
  let offsetMinutes = 0;
  const zone = m[8];
  if (zone && zone.toUpperCase() !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    offsetMinutes = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0'));
  }
  const total = BigInt(date.getTime()) * 1000n + micros - BigInt(offsetMinutes) * 60n * MICROS;
  return total >= MIN_MICROS && total <= MAX_MICROS ? total : undefined;
}

/** Unix microseconds of an integer Unix time in `unit`, or undefined outside years 1..9999. */
export function epochMicros(v: unknown, unit: 'seconds' | 'milliseconds'): bigint | undefined {
  if (typeof v !== 'bigint') return undefined;
  const total = unit === 'seconds' ? v * MICROS : v * 1000n;
  return total >= MIN_MICROS && total <= MAX_MICROS ? total : undefined;
}

/** PostgreSQL's timestamptz output in UTC with DateStyle ISO: "2024-05-01 12:30:00.25+00". */
export function timestampText(micros: bigint): string {
  let secs = micros / MICROS;
  let rem = micros % MICROS;
  if (rem < 0n) {
    rem += MICROS;
    secs -= 1n;
  }
  const iso = new Date(Number(secs) * 1000).toISOString();
  const frac = rem === 0n ? '' : `.${rem.toString().padStart(6, '0').replace(/0+$/, '')}`;
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${frac}+00`;
}

export const isIsoDate = (v: unknown) =>
  typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) && isoMicros(v) !== undefined;

/** Digits and decimal exponent of the shortest text that reads back as `x` (x finite, non-zero). */
function shortest(x: number): { negative: boolean; digits: string; exponent: number } {
  const [mantissa = '', exp = '0'] = Math.abs(x).toExponential().split('e');
  return { negative: x < 0, digits: mantissa.replace('.', ''), exponent: Number(exp) };
}

function fixed(digits: string, exponent: number): string {
  if (exponent < 0) return `0.${'0'.repeat(-exponent - 1)}${digits}`;
  if (digits.length <= exponent + 1) return digits + '0'.repeat(exponent + 1 - digits.length);
  return `${digits.slice(0, exponent + 1)}.${digits.slice(exponent + 1)}`;
}

/**
 * float8 output with extra_float_digits > 0 (PostgreSQL 12+): the shortest exact digits, in exponent
 * form when the decimal exponent is below -4 or at least 15, with a two-digit exponent ("1e-05").
 */
export function pgFloatText(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Number.POSITIVE_INFINITY) return 'Infinity';
  if (x === Number.NEGATIVE_INFINITY) return '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const { negative, digits, exponent } = shortest(x);
  const sign = negative ? '-' : '';
  if (exponent < -4 || exponent >= 15) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exponent);
    return `${sign}${m}e${exponent < 0 ? '-' : '+'}${e < 10 ? `0${e}` : e}`;
  }
  return sign + fixed(digits, exponent);
}

/** A number as a plain decimal (no exponent), the form numeric takes without changing it. */
export function plainDecimal(v: bigint | number): string {
  if (typeof v === 'bigint') return v.toString();
  if (v === 0) return '0';
  const { negative, digits, exponent } = shortest(v);
  return (negative ? '-' : '') + fixed(digits, exponent);
}

/** A plain decimal rounded half away from zero to `scale` places and padded, as numeric(p, s) prints it. */
export function roundDecimal(text: string, scale: number): string {
  const negative = text.startsWith('-');
  const [int = '0', frac = ''] = (negative ? text.slice(1) : text).split('.');
  let digits = BigInt(int + frac.slice(0, scale).padEnd(scale, '0'));
  if (Number(frac[scale] ?? '0') >= 5) digits += 1n;
  const s = digits.toString().padStart(scale + 1, '0');
  const out = scale > 0 ? `${s.slice(0, -scale)}.${s.slice(-scale)}` : s;
  return negative && digits !== 0n ? `-${out}` : out;
}

const hex = (v: unknown) =>
  `\\x${(Buffer.isBuffer(v) ? v : Buffer.from(typeof v === 'string' ? v : String(v), 'utf8')).toString('hex')}`;

const anyText = (v: unknown): string =>
  typeof v === 'string'
    ? v
    : typeof v === 'bigint'
      ? v.toString()
      : typeof v === 'number'
        ? pgFloatText(v)
        : Buffer.isBuffer(v)
          ? hex(v)
          : String(v);

/** The value as the text COPY sends it (before COPY escaping); null for NULL. */
export function copyText(k: ValueKind, v: unknown): string | null {
  if (v === null || v === undefined) return null;
  switch (k.kind) {
    case 'integer':
      return typeof v === 'bigint' ? v.toString() : anyText(v);
    case 'float':
      return pgFloatText(typeof v === 'bigint' ? Number(v) : (v as number));
    case 'numeric':
      return typeof v === 'bigint' || typeof v === 'number' ? plainDecimal(v) : anyText(v);
    case 'boolean':
      return booleanOf(v) ? 't' : 'f';
    case 'timestamp': {
      const micros = k.from === 'iso' ? isoMicros(String(v)) : epochMicros(v, k.from);
      if (micros === undefined) throw new Error(`not a timestamp under the plan's rule: ${anyText(v)}`);
      return timestampText(micros);
    }
    case 'bytea':
      return hex(v);
    default:
      return anyText(v);
  }
}

/** The text the target prints for the value copyText() wrote. */
export function pgText(k: ValueKind, v: unknown): string | null {
  const text = copyText(k, v);
  if (text === null || k.kind !== 'numeric' || k.scale === null) return text;
  return roundDecimal(text, k.scale);
}

const NEEDS_ESCAPE = /[\\\n\r\t]/;
/** COPY text-format escaping of one field. */
export function copyField(text: string | null): string {
  if (text === null) return '\\N';
  if (!NEEDS_ESCAPE.test(text)) return text;
  return text.replace(/[\\\n\r\t]/g, (c) =>
    c === '\\' ? '\\\\' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\t',
  );
}

const NEEDS_QUOTE = /^$|[",()\\\s]/;
/** A row as record_out prints ROW(...)::text: fields quoted when empty or holding ",()\ or space. */
export function rowText(fields: (string | null)[]): string {
  const parts = fields.map((f) => {
    if (f === null) return '';
    if (!NEEDS_QUOTE.test(f)) return f;
    return `"${f.replace(/["\\]/g, (c) => c + c)}"`;
  });
  return `(${parts.join(',')})`;
}

/** The first 64 bits of md5(row text) as a signed integer, as checksum.ts sums them on the target. */
export function rowHash(text: string): bigint {
  return createHash('md5').update(text, 'utf8').digest().readBigInt64BE(0);
}

const COPY_DATA = 0x64;
/** One CopyData message ('d', int32 length including itself, payload) for relayInto(). */
export function copyDataMessage(payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(payload.length + 5);
  out[0] = COPY_DATA;
  out.writeInt32BE(payload.length + 4, 1);
  payload.copy(out, 5);
  return out;
}
