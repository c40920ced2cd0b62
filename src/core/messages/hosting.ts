// User-facing text of the hosting component. Re-exported through src/ui/messages.ts as messages.hosting.

export const hostingMessages = {
  // Sources
  tokenRejected: (provider: string, field: string, status: number) =>
    `${provider} rejected the credential in ${field} (HTTP ${status}).`,
  tokenRejectedHint: (provider: string, field: string) =>
    `Create a new ${provider} API token with read access to the project, put it in ${field} (preferably as \${ENV_VAR}) and rerun.`,
  notFound: (provider: string, what: string, id: string, scope: string) =>
    `${provider} has no ${what} "${id}"${scope}.`,
  notFoundHint: (field: string) =>
    `Check ${field} in the config (the id or name shown in the provider's dashboard URL), and the team/owner the token belongs to.`,
  teamScope: (teamId: string | undefined) =>
    teamId ? ` in team ${teamId}` : ' in your personal account (no source.vercel.teamId set)',
  providerError: (provider: string, url: string, status: number, message: string) =>
    `${provider} answered HTTP ${status} for ${url}: ${message}.`,
  providerErrorHint: 'Retry later; if it persists, check the provider status page.',
  paginationRepeated: (list: string, projectId: string, scope: string | undefined, cursor: string) =>
    `Vercel answered the same page cursor twice (pagination.next = ${cursor}) while listing the ${list} of project "${projectId}"${scope ?? ''}: the list would never end, so none of it was used.`,
  paginationRepeatedHint:
    'Nothing was written. Run the same command again later; if Vercel keeps repeating that cursor, report it to Vercel support with the project id and the cursor.',
  sensitiveMissing: (keys: { key: string; local?: string }[]) =>
    `Vercel does not reveal the value of sensitive variable(s) ${keys.map((k) => (k.local ? `${k.key} (local variable ${k.local} is not set)` : k.key)).join(', ')}.`,
  sensitiveMissingHint: (keys: string[]) =>
    `For each, add it to source.vercel.sensitiveFrom (e.g. "${keys[0] ?? 'KEY'}": "${keys[0] ?? 'KEY'}") and export that variable with the value, or drop it with target.amplify.envMapping.${keys[0] ?? 'KEY'}.drop = true.`,

  // Amplify app
  appCollision: (name: string, appId: string) =>
    `An Amplify app named "${name}" already exists (${appId}) and this tool did not create it.`,
  appCollisionHint:
    'Choose another target.amplify.appName, or set target.amplify.adopt: true to use that app (rollback will then leave it in place).',
  quota: (what: string, detail: string) =>
    `AWS Amplify refused to ${what}: account quota reached (${detail}).`,
  quotaHint:
    'Delete unused Amplify apps or domain associations, or request a higher quota in the Service Quotas console, then rerun.',
  amplifyFailed: (what: string, detail: string) => `AWS Amplify could not ${what}: ${detail}.`,
  amplifyFailedHint:
    'Check the IAM permissions (amplify:*) and the region in target.aws, then rerun; the run resumes where it stopped.',
  appMissing: (name: string) => `The Amplify app "${name}" does not exist yet.`,
  appMissingHint: 'Apply hosting.app first (engify-migrate apply --phase 3).',
  noSource:
    'None of source.vercel, source.render or source.railway is configured: there is no project to move to Amplify.',

  // Env vars
  envTooLong: (key: string, length: number, max: number) =>
    `Variable ${key} is ${length} characters long; Amplify allows at most ${max}.`,
  envTooLongHint: (key: string) =>
    `Mark it secret (target.amplify.secretKeys: ["${key}"]) so it goes to the secret store, shorten it, or drop it with target.amplify.envMapping.${key}.drop = true.`,
  envNameReserved: (key: string) =>
    `Variable name ${key} is not allowed on Amplify (names starting with "AWS" are reserved, at most 255 characters).`,
  envNameReservedHint: (key: string) =>
    `Rename it with target.amplify.envMapping.${key}.rename = "NEW_NAME" and update the app to read the new name.`,
  secretTooLarge: (key: string, store: string, max: number) =>
    `Secret ${key} is larger than ${store} accepts (${max} bytes).`,
  secretTooLargeHint:
    'Use target.amplify.secretStore: "secrets-manager" (64 KB), or store the value elsewhere and drop it.',
  outputMissing: (from: string, step: string, key: string) =>
    `The new value for ${key} comes from ${from}, which step ${step} has not produced yet.`,
  outputMissingHint:
    'Apply phase 1 first (engify-migrate apply --phase 1), or set the value in target.amplify.envMapping.',
  configMissing: (from: string, field: string, key: string) =>
    `The new value for ${key} needs ${field} (for ${from}), which is not in the config.`,
  configMissingHint: (field: string) =>
    `Add ${field} to the config, or override the variable in target.amplify.envMapping.`,
  secretCollision: (name: string, store: string) =>
    `${store} already holds "${name}", which this tool did not create.`,
  secretCollisionHint:
    'Delete or rename it, or set target.amplify.adopt: true to overwrite it (rollback will then leave it in place).',
  envPlaced: (key: string, where: string) => `${key} -> ${where}`,

  // Domains
  noDomain: 'No custom domain to move: none in target.amplify.domain and none verified on the source.',
  dnsHeader: (domain: string) => `Set these DNS records for ${domain} at your DNS provider:`,
  dnsRecord: (name: string, type: string, value: string) => `  ${name}  ${type}  ${value}`,
  domainStatus: (domain: string, status: string) => `Domain ${domain} is ${status} on Amplify.`,
  domainPendingHint: (domain: string) =>
    `Set the DNS records printed by \`engify-migrate apply --phase 3\` (or \`plan\`) for ${domain}; validation can take up to 48 hours.`,

  // Verify
  parityHint: (key: string) =>
    `Rerun \`engify-migrate apply --phase 3\` to rewrite ${key}; if it changed on the source since, that is expected.`,
  missingAppHint: 'The Amplify app or branch is gone: rerun `engify-migrate apply --phase 3`.',
} as const;
