// User-facing text of sync, cutover and rollback-after-cutover. Re-exported as messages.cutover.

export const cutoverMessages = {
  needsCopy: 'The database has not been copied yet, so there is no change stream to follow.',
  needsCopyHint: 'Run `engify-migrate apply --phase 2` first: db.copy creates the slot sync starts from.',
  noFlagStore: 'The flag store does not exist yet.',
  noFlagStoreHint: 'Run `engify-migrate apply --phase 1` (step flags.store) first.',
  notMigrated: (component: string, steps: string[]) =>
    steps.length === 0
      ? `Nothing of ${component} is configured to migrate, so there is nothing to cut over.`
      : `${component} cannot be cut over: ${steps.join(', ')} has not succeeded.`,
  notMigratedHint: 'Apply phases 2 and 3 first (`engify-migrate apply --phase 2 --yes`).',
  verifyFailed: (component: string, checks: string[]) =>
    `${component} cannot be cut over: verify fails (${checks.slice(0, 5).join('; ')}${checks.length > 5 ? `; and ${checks.length - 5} more` : ''}).`,
  verifyFailedHint: 'Run `engify-migrate verify` for the details, fix or re-apply, then try again.',
  catchUpFailed: (component: string, why: string) => `The final catch-up of ${component} failed: ${why}`,
  lagNow: (seconds: number, changes: number, unit: string) =>
    `sync lag ${seconds.toFixed(1)} s (${changes} ${unit} behind)`,
  lagTooHigh: (seconds: number, bound: number) =>
    `Sync lag is ${seconds.toFixed(1)} s, above sync.maxLagSeconds (${bound} s): cutting over now would make the app wait.`,
  lagTooHighHint: 'Let `engify-migrate sync` catch up (or lower the write load), then try again.',
  verified: (component: string) => `${component}: verify passes`,
  flagged: (component: string, mode: string) => `${component}: flag set to ${mode}`,
  drained: (what: string, seconds: number, changes: number, unit: string) =>
    `${what} sync drained: lag ${seconds.toFixed(1)} s, ${changes} ${unit}`,
  reverseReady: (slot: string, tables: number) =>
    `reverse capture ready on the target (slot ${slot}, ${tables} table(s))`,
  caughtUp: (component: string) => `${component}: final catch-up pass applied`,
  reverseDrained: 'reverse sync drained: every write made on AWS since cutover is on the old database',
  resumeForward: 'forward sync resumes with the next `engify-migrate sync`',
  reverseStopped:
    'reverse sync stopped and its slot dropped; the old database is no longer kept current (it is not deleted)',
  already: (component: string, mode: string) => `${component} is already in mode ${mode}: nothing to do`,
  badTransition: (component: string, from: string, to: string) =>
    `${component} is in mode ${from}; it cannot go to ${to} from there.`,
  badTransitionHint: (component: string, from: string) =>
    from === 'done'
      ? 'Mode done is final: reverse sync was stopped, so going back would lose writes.'
      : `Run \`engify-migrate cutover --component ${component} --to target\` first.`,
  confirm: (component: string, to: string) =>
    `Switch ${component} to ${to}? The app follows the flag within its cache TTL.`,
  unknownComponent: (value: string) =>
    `--component must be one of db, auth, vectors, files, hosting; got ${JSON.stringify(value)}.`,
  unknownTarget: (value: string) => `--to must be target, source or done; got ${JSON.stringify(value)}.`,
  notCarriedHeader: 'Not carried back by reverse sync for this component:',
  sequencesCarried: (moved: number, where: string) => `${moved} sequence(s) moved forward on ${where}`,
  dbNotCarried: [
    'schema changes made on the target after cutover (DDL is not replicated; sync stops and names the table)',
    'large objects (pg_largeobject) and anything outside the copied schemas',
  ],
  authNotCarried: [
    'passwords set or changed in Cognito (Cognito never exposes hashes: those users reset their password on the old side)',
    'users disabled or deleted in Cognito (the old side keeps them as they were)',
  ],
  // Mirrors what vectorsReversePass (src/sync/vectors-passes.ts) refuses: it does carry points written or
  // changed in DynamoDB back to Qdrant, so only its refusals belong here.
  vectorsNotCarried: [
    'points deleted from DynamoDB after cutover (reported; kept in Qdrant: the tool never deletes from the old system)',
    'changes to points whose Qdrant copy also holds named or sparse vectors that DynamoDB does not store (an upsert would erase them; reported, update those points in Qdrant by hand)',
    'items Qdrant cannot take: no usable point_id (an unsigned integer up to 2^53, or a UUID), no vector, a payload that is not a map, or a vector of the wrong size (reported)',
    'the reverse pass writes to Qdrant: source.qdrant.apiKey must be a read-write key',
  ],
  filesNotCarried: [
    'objects deleted from S3 after cutover (reported; kept on Supabase Storage)',
    'the reverse pass needs source.supabase.apiUrl and serviceRoleKey to write to Storage',
  ],
  hostingNotCarried: ['Amplify settings changed after cutover (configuration is not synchronised)'],
  rollbackFlipsFirst: (components: string[]) =>
    `Component(s) ${components.join(', ')} are cut over: rollback switches them back to the old side first (draining reverse sync), and stops there. Run rollback again to undo the migration itself.`,
  syncStarting: (streams: string[]) =>
    `sync running: ${streams.join(', ')}. Ctrl-C (or SIGTERM) stops it cleanly; a rerun continues.`,
  syncNothing: 'Nothing to sync: every component is done (or not migrated).',
  syncLine: (stream: string, seconds: number, changes: number, unit: string, rate: number, applied: number) =>
    `${stream}: lag ${seconds.toFixed(1)} s / ${changes} ${unit}, ${applied} change(s) applied, ${rate.toFixed(0)}/s`,
  syncStopped: (applied: number) => `sync stopped cleanly after applying ${applied} change(s).`,
  syncCaughtUp: 'caught up (lag 0): stopping (--once).',
  passApplied: (component: string, summary: string) => `${component} pass: ${summary}`,
  passSummary: (applied: number, deleted: number, unchanged: number, refused: number) =>
    `${applied} applied, ${deleted} deleted, ${unchanged} unchanged${refused ? `, ${refused} refused` : ''}`,
  passRefused: (component: string, key: string, reason: string) =>
    `${component}: not carried: ${key}: ${reason}`,
  finalPass: (component: string, direction: string, summary: string) =>
    `${component}: final ${direction} pass: ${summary}`,
} as const;
