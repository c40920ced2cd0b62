// Quoting for the few places where SQL must carry identifiers or values inline: COPY (SELECT ...) takes
// no bind parameters, and range bounds end up inside such queries.

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export function qualified(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

/** A standard-conforming string literal (the server default since 9.1; our sessions never change it). */
export function quoteLiteral(value: string): string {
  if (value.includes('\0')) throw new Error('a SQL literal cannot contain a NUL character');
  return `'${value.replaceAll("'", "''")}'`;
}

/** Session settings that make the text form of every value identical on both sides (checksums, INSERT path). */
export const CANONICAL_TEXT_SETTINGS: readonly string[] = [
  "SET TimeZone = 'UTC'",
  "SET DateStyle = 'ISO, MDY'",
  "SET IntervalStyle = 'postgres'",
  'SET extra_float_digits = 1',
  "SET bytea_output = 'hex'",
];
