// User-facing text of the auth component. Re-exported through src/ui/messages.ts as messages.auth.

export const authMessages = {
  poolIncompatible: (name: string, id: string, problems: string[]) =>
    `An existing user pool named ${name} (${id}) cannot be used: ${problems.join('; ')}.`,
  poolIncompatibleHint:
    'These settings cannot be changed after a pool is created: pick another target.cognito.userPoolName.',
  resource: (pool: string) => `cognito users in pool ${pool}`,
  planSummary: (create: number, update: number, skipped: number, reported: number, strategy: string) =>
    `${create} user(s) to create, ${update} to update, ${skipped} skipped (soft-deleted/anonymous), ${reported} reported; passwords: ${strategy}`,
  sourceUnreachable: (host: string) =>
    `Cannot connect to the Supabase database at ${host} to read auth.users.`,
  sourceUnreachableHint:
    'Check source.supabase.dbUrl (host, port, password) and that this machine may connect to it.',
  noAuthSchema: (host: string) =>
    `The database at ${host} has no auth.users table: it does not look like a Supabase database.`,
  noAuthSchemaHint:
    'Point source.supabase.dbUrl at the Supabase project database (the "postgres" database), not a copy.',
  apiFailed: (host: string, status: number) =>
    `The Supabase Auth admin API at ${host} refused to list users (HTTP ${status}).`,
  apiFailedHint:
    'Check source.supabase.apiUrl (the project URL, e.g. https://<ref>.supabase.co, without /auth/v1) and that source.supabase.serviceRoleKey is the service_role key, not the anon key.',
  apiRetryHint:
    'The Supabase Auth API kept failing after retries: check the project status page, then run the command again (it resumes).',
  apiUnreachable: (host: string) => `Cannot reach the Supabase Auth admin API at ${host} to list users.`,
  apiUnreachableHint:
    'Check source.supabase.apiUrl (host and scheme) and that this machine can reach it; then run the command again.',
  apiKeyRefused: (host: string, status: number, reason: string) =>
    `The Supabase Auth admin API at ${host} refused source.supabase.serviceRoleKey (HTTP ${status}${reason ? `: ${reason}` : ''}).`,
  apiKeyRefusedHint:
    "Set source.supabase.serviceRoleKey to the project's service_role key (Project Settings > API keys; not the anon key) for the project at source.supabase.apiUrl.",
  apiNoHashesRefused: (strategy: string, host: string) =>
    `auth.passwords is "${strategy}", but users are read through the Supabase Auth admin API at ${host}, which never returns password hashes: no user could keep a password.`,
  apiNoHashesRefusedHint:
    'Set source.supabase.dbUrl (the database carries the bcrypt hashes) to keep passwords, or set auth.passwords to "reset" to migrate users who then reset their password.',
  cognitoCallFailed: (call: string, error: string) => `Cognito ${call} failed (${error || 'unknown error'}).`,
  cognitoCallFailedHint:
    'Check target.aws credentials and region, and that the identity may call cognito-idp admin APIs on the pool.',
  importJobNoUrl: (pool: string) =>
    `Cognito created no pre-signed upload URL for the import job in pool ${pool}.`,
  importJobHint:
    'Check that the pool exists and that user import is available in this region; or set auth.passwords to "lazy".',
  importJobTimeout: (job: string, status: string) =>
    `Import job ${job} is still ${status} after auth.importJob.timeoutMinutes.`,
  importJobTimeoutHint:
    'Check the job in the Cognito console or CloudWatch Logs; rerun apply to resume (imported users are kept).',
  importJobDone: (job: string, status: string, imported: number, skipped: number, failed: number) =>
    `Import job ${job}: ${status}; ${imported} imported, ${skipped} skipped, ${failed} failed.`,
  noHashColumn: (pool: string, header: string[]) =>
    `GetCSVHeader for pool ${pool} returned no single password-hash column (it returned: ${header.join(', ') || 'nothing'}): this pool cannot import password hashes, and apply refuses auth.passwords "import-hashes".`,
  noHashColumnHint: 'Use auth.passwords "lazy" (passwords kept through a migration Lambda) or "reset".',
  csvHeader: (pool: string, header: string[], column: string) =>
    `GetCSVHeader for pool ${pool} returned: ${header.join(', ')}. The bcrypt hashes go in column "${column}", taken from this header: the AWS documentation this tool was checked against does not name that column, so check it before applying.`,
  csvHeaderUnread: (pool: string, why: string) =>
    `Could not read GetCSVHeader for pool ${pool} (${why}): apply reads it again and refuses "import-hashes" if it names no password-hash column.`,
  noSource:
    'auth.users needs source.supabase.dbUrl, or source.supabase.apiUrl with source.supabase.serviceRoleKey.',
  noSourceHint:
    'Add the Supabase database URL (preferred: it carries the password hashes) to source.supabase.dbUrl.',
  noTargetDb: 'auth.users keeps its id map in the target database: target.rds with mode "pg" is required.',
  noTargetDbHint: 'Add target.rds { "mode": "pg", "url": "postgres://..." } to the config.',
  poolNotYet: 'The Cognito user pool is not created yet (step auth.pool has no outputs).',
  poolNotYetHint: 'Run `engify-migrate apply --phase 1` first, so auth.pool creates the pool and app client.',
  noClient: 'The app client id is unknown (auth.pool output appClientId is missing).',
  apiHasNoHashes: (strategy: string) =>
    `Users are read through the Supabase admin API, which never returns password hashes: apply refuses auth.passwords "${strategy}". Set source.supabase.dbUrl to keep passwords, or auth.passwords "reset" (every user resets the password).`,
  lazyNeedsUserPasswordAuth:
    'Lazy migration: the app must sign in with USER_PASSWORD_AUTH (not SRP) until users have migrated, or the migration Lambda never fires.',
  importNeedsRole:
    'auth.importJob.cloudWatchLogsRoleArn is not set: AWS refuses import jobs without a CloudWatch Logs role.',
  needsProvider: (provider: string, n: number) =>
    `${n} OAuth identit(ies) from ${provider} cannot be linked: the pool has no identity provider named ${provider}. Add it to the pool (or map the name in auth.providers) before apply.`,
  nonBcrypt: (n: number, fallback: string) =>
    `${n} user(s) have password hashes that are not bcrypt: they cannot keep their password (fallback: ${fallback}).`,
  lambdaWritten: (dir: string, name: string) => `User-migration Lambda ${name} written to ${dir}.`,
  lambdaNextStep: (dir: string, name: string, pool: string) =>
    `Next: in ${dir} run \`npm install --omit=dev && zip -r ../${name}.zip .\`, create the Lambda ${name} (Node.js 20, handler index.handler, env LEGACY_DATABASE_URL = the target database URL, network access to it), then attach it: aws cognito-idp update-user-pool --user-pool-id ${pool} --lambda-config UserMigration=<function ARN> (this resets unspecified pool settings: pass the current ones, or set auth.lambda.functionArn and rerun apply, which keeps them).`,
  providersUnavailable: (error: string) =>
    `Could not list the pool's identity providers (${error || 'error'}); OAuth identities are listed as needing a provider.`,
  alreadyDone: 'Users already migrated (the journal has a finished checkpoint); nothing to do.',
  doneSummary: 'all users migrated; changes made on the source since are carried by `engify-migrate sync`',
  applied: (counts: Record<string, number>) =>
    `Users: ${Object.entries(counts)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}.`,
  shadowFailed: (detail: string) =>
    `Could not write shadow rows into the target's auth.users (${detail}); the id map is complete.`,
  verifyFailedHint: 'Fix the error above and run verify again.',
  countsHint:
    'Users the source has but the id map lacks were not migrated: run apply again (it resumes), then verify.',
  rerunHint:
    'Run `engify-migrate apply --phase 2` again: it updates existing users and creates missing ones.',
  resetNoSignIn: 'passwords are reset under auth.passwords "reset": no known password can sign in',
  verifySignInHint: `Add auth.verifySignIn [{ "email": "...", "password": "$${'{'}SAMPLE_PASSWORD}" }] with a test user you know the password of.`,
  signInHint: (strategy: string) =>
    strategy === 'lazy'
      ? 'Check that the migration Lambda is attached to the pool, can reach the target database, and that the app client allows USER_PASSWORD_AUTH.'
      : 'Check the import job report (state dir auth/report.jsonl) and that the app client allows USER_PASSWORD_AUTH.',
  interrupted: (done: number) =>
    `Interrupted after ${done} user(s) were durably migrated; a rerun resumes from there.`,
  rolledBack: (deleted: number) => `Deleted ${deleted} Cognito user(s) this tool created, then the id map.`,
  // sync passes (src/sync/auth-passes.ts)
  syncNeedsDbUrl:
    'Auth sync reads and writes the source auth.users through source.supabase.dbUrl, which is not set (the admin API path cannot detect deletions or carry users back).',
  syncNeedsDbUrlHint:
    'Set source.supabase.dbUrl to the Supabase database URL (the direct or session-pooler connection string), then run sync again.',
  syncNeedsCopy: 'Auth sync needs the id map written by auth.users, and it is not there yet.',
  syncNeedsCopyHint:
    'Run `engify-migrate apply --phase 2` first (auth.users copies the users and writes the id map), then sync.',
  refusedReport: (reason: string) => `not carried: ${reason}`,
  refusedNoEmail: 'the user has no email (the pool signs in by email)',
  refusedInvalidEmail: 'the email is not a valid address',
  refusedCollision: 'another source user has the same email up to case; merge them on the source first',
  refusedFallbackSkip: 'the password hash is not bcrypt and auth.fallback is "skip"',
  refusedNewWithoutHash:
    'created in Cognito without its password: sync does not run import jobs for single users, so the user must reset the password',
  refusedHashChanged:
    'the password changed on the source after the copy; Cognito cannot take a new hash for an existing user, so the user must reset the password (or sign in with the old one)',
  refusedPasswordNotCarried:
    'the password stays in Cognito: Cognito never exposes password hashes, so after a rollback this user must reset the password on Supabase',
  refusedEmailTaken: (id: string) =>
    `the email already belongs to source user ${id} that this tool did not map to this Cognito user; nothing was merged`,
  supabaseIdImmutable: (pool: string) =>
    `custom:supabase_id is immutable in pool ${pool} (auth.pool creates it with Mutable false), so users created in Cognito after cutover keep their Supabase id in the id map (engify.auth_id_map) only.`,
  forwardPassDone: (applied: number, disabled: number, unchanged: number, refused: number) =>
    `auth forward: ${applied} user(s) created or updated in Cognito, ${disabled} disabled (deleted on the source), ${unchanged} unchanged, ${refused} not carried.`,
  reversePassDone: (applied: number, unchanged: number, refused: number) =>
    `auth reverse: ${applied} user(s) created or updated in Supabase Auth, ${unchanged} unchanged, ${refused} not carried.`,
  reverseLimits:
    'Reverse auth sync carries new users and email/phone/name/verification changes; it cannot carry passwords (Cognito never exposes hashes), Cognito deletions or disabling, or MFA settings.',
} as const;
