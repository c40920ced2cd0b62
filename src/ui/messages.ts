import type { LockHolder } from '../state/lock.js';
import { authMessages } from './messages/auth.js';
import { dbMessages } from './messages/db.js';
import { dbCopyMessages } from './messages/db-copy.js';
import { filesMessages } from './messages/files.js';
import { hostingMessages } from './messages/hosting.js';
import { syncMessages } from './messages/sync.js';
import { vectorsMessages } from './messages/vectors.js';

// Every user-facing sentence lives here, so wording stays consistent and reviewable in one file.
// Messages say what happened, name the field / value / host involved, and what to do next.
// Each component's text sits in messages/<component>.ts (so parallel work on components does not
// collide in one file) and is reachable only through this object.

export const messages = {
  db: dbMessages,
  dbCopy: dbCopyMessages,
  auth: authMessages,
  vectors: vectorsMessages,
  files: filesMessages,
  hosting: hostingMessages,
  sync: syncMessages,
  config: {
    notFound: (path: string) => `No config file at ${path}.`,
    notFoundHint: 'Run `engify-migrate init` to write one, or pass --config <file>.',
    unreadable: (path: string, code: string) => `Cannot read the config file ${path} (${code}).`,
    malformed: (path: string, detail: string) => `${path} is not valid JSON: ${detail}.`,
    malformedHint: 'Fix the JSON syntax at the position shown (a trailing comma or a missing quote is the usual cause).',
    invalid: (path: string, lines: string[]) => `${path} has ${lines.length} problem(s):\n${lines.map((l) => `  - ${l}`).join('\n')}`,
    invalidHint: 'Fix each field named above; `engify-migrate schema` prints the JSON Schema of the config.',
    issue: (path: string, problem: string, got: string) => `${path}: ${problem}; got ${got}`,
    unknownKeys: (keys: string[]) => `unknown key(s) ${keys.join(', ')}: remove them or check their spelling`,
    missingEnv: (path: string, variable: string) => `${path}: environment variable ${variable} is not set`,
    missingEnvHint: (vars: string[]) => `Export ${vars.join(', ')} (or put them in your shell's environment) and run again.`,
    unreachable: (path: string, host: string, reason: string) =>
      `${path}: cannot reach ${host} (${reason}).`,
    unreachableHint: 'Check the host and port, that the service is running, and any VPN or security group in between.',
    needsSection: (section: string, step: string) => `${section} is required by step ${step} but is missing from the config.`,
  },
  lock: {
    held: (h: LockHolder, path: string) =>
      `Another engify-migrate is running here: ${h.operation} by ${h.user}, pid ${h.pid} on ${h.host}, since ${h.since} (lock ${path}).`,
    aliveHint: (h: LockHolder) => `Wait for pid ${h.pid} to finish, or stop it; two runs at once would corrupt the journal.`,
    deadHint: 'That process is gone. If you are sure nothing else is running, rerun with --force-unlock.',
    race: (path: string) => `Could not take the lock ${path}; another run took it at the same moment. Try again.`,
  },
  plan: {
    stale: (why: string) => `The saved plan is stale: ${why}.`,
    staleHint: 'Run `engify-migrate plan --out <file>` again, review it, then apply the new file.',
    configChanged: 'the config changed since the plan was made',
    stateChanged: (steps: string[]) => `live state changed since the plan was made (steps ${steps.join(', ')})`,
    unreadable: (path: string, detail: string) => `Cannot read the plan file ${path}: ${detail}.`,
    unreadableHint: 'Pass a file written by `engify-migrate plan --out <file>`.',
    empty: 'Nothing to do: every step is in step with the config.',
    forced: 'FORCED: phase order checks are off for this run (--force).',
    header: (phases: number[]) => `Plan for phase(s) ${phases.join(', ')}`,
    summary: (counts: Record<string, number>) =>
      Object.entries(counts)
        .filter(([, n]) => n > 0)
        .map(([action, n]) => `${n} to ${action}`)
        .join(', ') || 'no changes',
    saved: (path: string) => `Plan saved to ${path}. Apply it with: engify-migrate apply ${path}`,
  },
  apply: {
    phaseOrder: (phase: number, missing: string[]) =>
      `Phase ${phase} cannot run yet: phase ${phase - 1} has steps that have not succeeded (${missing.join(', ')}).`,
    phaseOrderHint: (phase: number) => `Run \`engify-migrate apply --phase ${phase - 1}\` first, or pass --force if you know why.`,
    confirm: (phases: number[], changes: number) => `Apply ${changes} change(s) in phase(s) ${phases.join(', ')}?`,
    notTty: 'Refusing to apply without confirmation: this is not a terminal. Pass --yes to apply from a script.',
    declined: 'Nothing applied.',
    done: (ok: number, failed: number, skipped: number) =>
      `${ok} step(s) succeeded, ${failed} failed, ${skipped} not run.`,
    stepFailed: (step: string, message: string) => `${step} failed: ${message}`,
    skippedAfterFailure: (step: string, failed: string) => `${step} not run: it depends on ${failed}, which failed.`,
    unknownPhase: (value: string) => `--phase must be 1, 2, 3 or 4; got ${JSON.stringify(value)}.`,
  },
  verify: {
    done: (ok: number, failed: number, skipped: number) => `${ok} check(s) passed, ${failed} failed, ${skipped} skipped.`,
    nothing: 'Nothing to verify yet: no step has been applied.',
  },
  rollback: {
    confirm: (steps: string[]) => `Roll back ${steps.join(', ')}? Only what this tool created is deleted.`,
    laterPhase: (phase: number, later: number[]) =>
      `Phase ${phase} cannot be rolled back while phase(s) ${later.join(', ')} are still applied.`,
    laterPhaseHint: (later: number[]) => `Roll back phase ${Math.max(...later)} first, or run rollback without --phase.`,
    nothing: 'Nothing to roll back: the journal records nothing this tool created.',
    done: (steps: number) => `${steps} step(s) rolled back.`,
  },
  status: {
    none: 'No run yet. Start with `engify-migrate plan`.',
  },
  sandbox: {
    up: (configPath: string) => `Local stack running. Config: ${configPath}\nTry: engify-migrate --config ${configPath} plan\nPress Ctrl-C to stop.`,
    noPostgres: 'The local stack needs PostgreSQL 15 server binaries: apt-get install -y postgresql-15',
  },
  demo: {
    starting: 'Starting the local stack (PostgreSQL 15, dynalite, s3rver, cognito-local)...',
    stackReady: (config: string, endpoints: Record<string, string>) =>
      `Local stack up. Config: ${config}\n${Object.entries(endpoints).map(([k, v]) => `  ${k}: ${v}`).join('\n')}`,
    stage: (what: string) => `== engify-migrate ${what}`,
    failed: (stage: string, code: number) => `The demo stopped: "${stage}" ended with exit code ${code}.`,
    done: (seconds: number) => `Demo finished in ${seconds.toFixed(1)} s; the local stack is stopped and nothing was left behind.`,
  },
  errors: {
    unexpected: 'An unexpected error stopped the run; nothing after the last journaled step was written.',
    unexpectedHint: 'Rerun with --verbose for details; the run resumes from the journal.',
  },
} as const;
