// PostgreSQL LSNs ("16/B374D848") as bigints, so positions compare and subtract exactly.

export function lsnToBigInt(lsn: string): bigint {
  const match = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(lsn.trim());
  if (!match) throw new Error(`not an LSN: ${JSON.stringify(lsn)}`);
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

export function bigIntToLsn(value: bigint): string {
  const v = value < 0n ? 0n : value;
  return `${(v >> 32n).toString(16).toUpperCase()}/${(v & 0xffffffffn).toString(16).toUpperCase().padStart(8, '0')}`;
}

export function compareLsn(a: string, b: string): number {
  const d = lsnToBigInt(a) - lsnToBigInt(b);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

export function maxLsn(a: string, b: string): string {
  return compareLsn(a, b) >= 0 ? a : b;
}

export const ZERO_LSN = '0/00000000';
