// User-facing text of the copy-path choice in `plan` (this machine, AWS DMS, bulk load, import jobs).
// Re-exported through src/core/messages.ts as messages.paths.

const n = (x: number) => Math.round(x).toLocaleString('en-US');

/** A wall time as a person reads it: "2 h 05 min", "12 min", "40 s". */
export function wallTime(seconds: number): string {
  if (!Number.isFinite(seconds)) return 'unbounded';
  if (seconds < 60) return `${Math.max(0, Math.round(seconds))} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  if (h >= 48) return `${(seconds / 86400).toFixed(1)} days`;
  return `${h} h ${String(m).padStart(2, '0')} min`;
}

export const pathsMessages = {
  title: (component: string) => `Copy path: ${component}`,
  fileUnreadable: (path: string, why: string) => `The throughput file ${path} cannot be read: ${why}.`,
  fileHint:
    'Fix the file or remove network.throughputFile from the config to use the bundled throughput/paths.json.',
  dated: (checkedOn: string, path: string, mbps: number, configured: boolean) =>
    `throughput assumptions of ${checkedOn} (${path}); link ${n(mbps)} Mbit/s ${configured ? '(network.mbps)' : '(assumed: set network.mbps)'}`,
  pathLine: (path: string, seconds: number, basis: string, chosen: boolean) =>
    `${chosen ? '* ' : '  '}${path}: ~${wallTime(seconds)}  (${basis})`,
  chosenLine: (path: string, reason: string) => `chosen: ${path}: ${reason}`,
  bySetting: (field: string, value: string) => `${field} is "${value}"`,
  dbOver: (localSeconds: number, hours: number) =>
    `the local copy would take ~${wallTime(localSeconds)}, over target.rds.copy.dmsAboveHours (${hours} h), and DMS is faster`,
  dbOverButSlower: (localSeconds: number, dmsSeconds: number, hours: number) =>
    `the local copy (~${wallTime(localSeconds)}) is over target.rds.copy.dmsAboveHours (${hours} h), but DMS would take longer (~${wallTime(dmsSeconds)})`,
  dbUnder: (localSeconds: number, hours: number) =>
    `the local copy takes ~${wallTime(localSeconds)}, within target.rds.copy.dmsAboveHours (${hours} h)`,
  fallback: (reason: string) => `falls back to the local copy: ${reason}`,
  vectorsOver: (points: number, threshold: number) =>
    `${n(points)} points, over target.dynamodb.bulkThresholdPoints (${n(threshold)})`,
  vectorsUnder: (points: number, threshold: number) =>
    `${n(points)} points, within target.dynamodb.bulkThresholdPoints (${n(threshold)})`,
  usersBy: (route: string, chosen: string) =>
    chosen === 'import-job'
      ? `auth.passwords is "${route}": only an import job carries the password hashes (chosen by that setting, not by size)`
      : `auth.passwords is "${route}": users are created through the admin API (chosen by that setting, not by size; "import-hashes" would use import jobs)`,
};
