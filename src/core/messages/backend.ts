// User-facing text of the backend component (Render web service -> Lambda + API Gateway HTTP API).
// Re-exported through src/core/messages.ts as messages.backend.

const size = (bytes: number) => (bytes >= 1048576 ? `${(bytes / 1048576).toFixed(1)} MB` : `${bytes} bytes`);

const CAVEAT_TEXT: Record<string, string> = {
  'long-requests':
    'requests longer than 29-30 s: the HTTP API integration stops waiting at 30 s (use a job + polling, or Step Functions)',
  'after-response':
    'work after the response (FastAPI background tasks, threads, un-awaited promises) stops when the invocation returns under the Web Adapter (move it to SQS + a worker Lambda)',
  websockets:
    'websockets: Lambda behind an HTTP API answers request/response only (use an API Gateway WebSocket API)',
  workers: 'background workers: nothing runs between requests (use SQS + a Lambda consumer, or ECS)',
  crons: 'cron jobs: nothing runs on a schedule (use EventBridge Scheduler to invoke a function)',
  disk: 'a persistent disk: Lambda has only an ephemeral /tmp (use S3, or EFS mounted on the function)',
};

export const backendMessages = {
  caveat: (key: string, where?: string) => `${CAVEAT_TEXT[key] ?? key}${where ? ` [found: ${where}]` : ''}`,
  notAcknowledged: (service: string, lines: string[]) =>
    `Lambda cannot host Render service "${service}" exactly as it runs now:\n${lines.map((l) => `  - ${l}`).join('\n')}`,
  notAcknowledgedHint: (keys: string[]) =>
    `Nothing was written. Read the list, then add backend.acknowledge: ${JSON.stringify(keys)} to the config and rerun.`,
  serviceType: (service: string, type: string) =>
    `Render service "${service}" is a ${type}; backend.* moves web services only (Lambda behind an HTTP API answers requests).`,
  serviceTypeHint: (type: string) =>
    type === 'cron_job'
      ? 'Nothing was written. Run the job from EventBridge Scheduler on a Lambda function instead; remove the backend section for this service.'
      : type === 'static_site'
        ? "Nothing was written. A static site is the hosting component's (Amplify); remove the backend section."
        : 'Nothing was written. Point source.render.serviceId at the web service, or remove the backend section.',
  noCode:
    'backend needs the code to deploy: set backend.sourceDir (a local checkout of the repository) or backend.imageUri (an image in ECR).',
  noCodeHint: (repo: string | null) =>
    `Nothing was written. Clone ${repo ?? 'the service repository'} and set backend.sourceDir to that folder.`,
  bothCode: 'backend.sourceDir and backend.imageUri are both set; a function is either a zip or an image.',
  bothCodeHint: 'Keep one of them and rerun.',
  sourceMissing: (dir: string) => `backend.sourceDir "${dir}" does not exist or is not a folder.`,
  sourceMissingHint: 'Nothing was written. Fix the path (relative paths are from the config file) and rerun.',
  buildFailed: (command: string, code: number | null, tail: string) =>
    `The build command \`${command}\` failed (exit ${code ?? 'signal'}). Last lines:\n${tail}`,
  buildFailedHint:
    'Nothing was written. Fix the build in backend.sourceDir (it runs as Render runs it) and rerun.',
  zipTooLarge: (bytes: number, limit: number) =>
    `The function package is ${size(bytes)} zipped, over the ${size(limit)} limit of a direct upload to Lambda (backend.maxZipBytes; Lambda's own is 50 MB).`,
  zipTooLargeHint: (zip: string, fn: string) =>
    `Nothing was written. Upload ${zip} to S3 (aws s3 cp ${zip} s3://<bucket>/${fn}.zip) and deploy it with an S3 key, trim the package (dev dependencies, tests), or use an image (backend.imageUri).`,
  unzippedTooLarge: (bytes: number, limit: number) =>
    `The function package is ${size(bytes)} unzipped, over the ${size(limit)} limit (backend.maxUnzippedBytes; Lambda's own is 250 MB).`,
  unzippedTooLargeHint:
    'Nothing was written. Trim the package (dev dependencies, tests, caches) or build an image (up to 10 GB) and set backend.imageUri.',
  imageRegion: (uri: string, imageRegion: string, region: string) =>
    `backend.imageUri ${uri} is in ${imageRegion}, but the function is created in ${region}: Lambda pulls images from its own region only.`,
  imageRegionHint: (region: string) =>
    `Nothing was written. Replicate or push the image to ECR in ${region} and point backend.imageUri at it.`,
  runtime: (runtime: string | null) =>
    `Render runtime "${runtime ?? 'unknown'}" has no zip packaging here (python and node are supported).`,
  runtimeHint:
    'Nothing was written. Build an image with the Web Adapter in /opt/extensions and set backend.imageUri.',
  notListening: (command: string, path: string, port: number, seconds: number, tail: string) =>
    `The start command \`${command}\` never answered the readiness check GET ${path} on port ${port} (given as PORT and AWS_LWA_PORT) within ${seconds} s.${tail ? ` Last lines:\n${tail}` : ''}`,
  notListeningHint:
    'Nothing was written. Make the app listen on $PORT (the Web Adapter sends traffic to AWS_LWA_PORT, falling back to PORT), check backend.readinessPath, or raise backend.readinessTimeoutSeconds.',
  routeConflict: (routes: string[]) => `backend.publicRoutes has conflicting routes: ${routes.join('; ')}.`,
  routeConflictHint:
    'Nothing was written. List each route once ("METHOD /path"); do not combine ANY with a method on the same path.',
  poolMissing: (detail: string) =>
    `The API's JWT authorizer needs the Cognito user pool and app client from auth.pool, which ${detail}.`,
  poolMissingHint: 'Nothing was written. Run `engify-migrate apply --phase 1` (auth.pool) first, then rerun.',
  poolNotConfigured: 'backend needs target.cognito (its user pool issues the tokens the API accepts).',
  poolNotConfiguredHint: 'Nothing was written. Add target.cognito and run phase 1 first.',
  secretsLayer: (region: string) =>
    `The function's secrets are read through the AWS Parameters and Secrets Lambda Extension, whose layer ARN for ${region} is not known here.`,
  secretsLayerHint:
    'Nothing was written. Set backend.secretsExtensionLayerArn to the layer ARN for your region (Systems Manager user guide, "Parameters and Secrets Lambda Extension ARNs").',
  envTooLarge: (bytes: number) =>
    `The function's plain environment variables take ${bytes} bytes, over Lambda's 4 KB limit.`,
  envTooLargeHint: 'Nothing was written. Move large values to secrets (target.amplify.secretKeys) and rerun.',
  collision: (what: string, name: string) =>
    `A ${what} named "${name}" already exists and this tool did not create it.`,
  collisionHint: (field: string) =>
    `Nothing was changed. Set ${field} to another name, or delete that one yourself if it is unused.`,
  apiUrlUnknown:
    'The frontend API URL variable is not known: none of VITE_API_URL, NEXT_PUBLIC_API_URL, API_URL, ... is in the Vercel env.',
  apiUrlUnknownHint: 'Name it in backend.frontendApiVariable.',
  noAmplifyApp:
    'The frontend is not on Amplify yet (hosting.app has no app id), so its API URL cannot be switched.',
  noAmplifyAppHint: 'Run phase 3 with target.amplify first.',
  switched: (variable: string, url: string) =>
    `frontend ${variable} = ${url} (Amplify env; the next build picks it up)`,
  notMigrated: (steps: string[]) => `backend steps not applied: ${steps.join(', ')}.`,
  demoTitle: 'The backend on AWS, through the API Gateway:',
  demoCall: (what: string, status: number, detail: string) =>
    `  ${status === 401 || (status >= 200 && status < 300) ? 'ok  ' : 'FAIL'} ${what}: HTTP ${status}${detail ? ` ${detail}` : ''}`,
  planBuilt: (bytes: number, unzipped: number, files: number) =>
    `package ${(bytes / 1024).toFixed(0)} KB zipped, ${(unzipped / 1024).toFixed(0)} KB unzipped, ${files} files`,
};
