// User-facing text of hosting.deploy (re-exported through src/core/messages.ts as messages.hostingDeploy).

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

export const hostingDeployMessages = {
  manualSsr: (project: string, framework: string) =>
    `hosting.deploy is "manual", but ${project} (${framework}) is server-rendered and runs on Amplify's WEB_COMPUTE platform: Amplify Hosting does not support manual deploys for server-side rendered (SSR) apps (Amplify user guide, "Deploying an application to Amplify without a Git repository"). Nothing was created.`,
  manualSsrHint:
    'Set hosting.deploy to "repository" with hosting.repository.token (a GitHub access token through ${VAR}), or, for a static export, set target.amplify.platform to "WEB" and hosting.artifactDir to the exported folder.',
  artifactMissing: (field: string, dir: string) => `${field} ${dir} does not exist or is not a folder.`,
  artifactEmpty: (field: string, dir: string) => `${field} ${dir} is empty: there is nothing to deploy.`,
  artifactMissingHint: (field: string) =>
    `Build the site into that folder first (or set hosting.build to run the build), or point ${field} at the build output (e.g. "dist" or "out"), then rerun; nothing was deployed.`,
  building: (command: string, cwd: string) => `building: ${command} (in ${cwd})`,
  buildFailed: (command: string, cwd: string, why: string, tail: string[]) =>
    `The build command \`${command}\` failed in ${cwd} (${why}), so nothing was deployed.${
      tail.length ? `\nIts last lines:\n${tail.map((l) => `  | ${l}`).join('\n')}` : ''
    }`,
  buildFailedHint:
    'Fix the build (run the same command in that folder to see all of it), or set hosting.build.command, then rerun.',
  uploadFailed: (host: string, why: string) => `Uploading the deployment zip to ${host} failed (${why}).`,
  rerunHint: 'Rerun the same command: a new deployment is created (the one not started expires by itself).',
  uploading: (files: number, bytes: number, jobId: string) =>
    `uploading ${files} file(s) (${kb(bytes)}) as deployment job ${jobId}`,
  connecting: (repository: string) => `connecting the Amplify app to ${repository}`,
  jobStatus: (jobId: string, status: string) => `amplify job ${jobId}: ${status}`,
  resuming: (jobId: string) => `job ${jobId} of the interrupted run is still there: waiting for it`,
  jobTimeout: (jobId: string, status: string, ms: number) =>
    `Amplify job ${jobId} is still ${status} after ${Math.round(ms / 1000)} s.`,
  jobTimeoutHint:
    'The job goes on without us: rerun the same command to wait for it again (raise hosting.timeoutMs for long builds).',
  jobFailed: (jobId: string, status: string, logUrl: string | undefined) =>
    `Amplify job ${jobId} ended ${status}${logUrl ? `; its log: ${logUrl}` : ' (it has no log URL)'}.`,
  jobFailedHint: (logUrl: string | undefined) =>
    `${logUrl ? `Read the log at ${logUrl}` : 'Open the job in the Amplify console'}, fix the cause, then rerun \`engify-migrate apply --phase 3\`.`,
  deployed: (jobId: string, way: string) => `amplify job ${jobId} succeeded (${way} deploy)`,
  alreadyDeployed: (digest: string, jobId: string) =>
    `artifact ${digest.slice(0, 12)} is already deployed (job ${jobId})`,
  alreadyReleased: (repository: string, jobId: string) =>
    `connected to ${repository}; release job ${jobId} succeeded (later pushes build by themselves)`,
  planManual: (files: number, bytes: number, digest: string) =>
    `zip ${files} file(s) (${kb(bytes)}, digest ${digest.slice(0, 12)}) and deploy them manually (CreateDeployment, upload, StartDeployment), then wait for the job`,
  planBuild: (command: string, dir: string) =>
    `run \`${command}\`, zip ${dir} and deploy it manually; a noop if its digest equals the last deployed one`,
  planRepository: (repository: string, branch: string) =>
    `connect the app to ${repository} (token from hosting.repository.token, not stored) and start a RELEASE job of Git branch ${branch}, then wait for it`,
  branchDiffers: (source: string, amplify: string) =>
    `The source deploys Git branch "${source}", but target.amplify.branch is "${amplify}" and Amplify builds the Git branch of that name: set target.amplify.branch to "${source}" if that is the production branch.`,
  noRepository:
    'hosting.deploy is "repository", but no repository is known: the source project is not linked to one and hosting.repository.url is not set.',
  noRepositoryHint:
    'Set hosting.repository.url to the https URL of the Git repository (e.g. https://github.com/acme/web), or use hosting.deploy "manual".',
  noDeploymentHint: 'Nothing is deployed on the branch yet: run `engify-migrate apply --phase 3`.',
  smokeHint: (base: string, path: string) =>
    `The deployed branch does not serve ${path} as expected: open ${base}${path}, check the job's log and the build output (hosting.artifactDir), then apply again.`,
  bodyDiffersHint: (path: string) =>
    `The page ${path} on Amplify differs from the source deployment's: deploy the same build (or turn sameBody off for pages that change per request).`,
};
