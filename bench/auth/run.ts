// Auth benchmark: N users created in cognito-local through the auth step's writer (AdminCreateUser +
// AdminSetUserPassword per user) under the token-bucket limit at a configured rate. Reports the share
// of the configured rate achieved (goal >= 95%), throttling surfaced as errors (goal 0) and peak RSS.
// Run: npx tsc -p tsconfig.build.json && npx tsx bench/auth/run.ts   (AUTH_BENCH_N=10000 AUTH_BENCH_RATE=40)
import { writeFileSync } from 'node:fs';
import {
  CognitoIdentityProviderClient,
  CreateUserPoolCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { forEachConcurrent, RateLimiter } from '../../src/providers/cognito/rate-limiter.js';
import { CognitoUserWriter } from '../../src/providers/cognito/user-writer.js';
import { startLocalStack } from '../../src/sandbox/stack.js';

const N = Number(process.env.AUTH_BENCH_N ?? 500);
const RATE = Number(process.env.AUTH_BENCH_RATE ?? 40);
const CONCURRENCY = Number(process.env.AUTH_BENCH_CONCURRENCY ?? 8);

let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 100);

const stack = await startLocalStack();
const client = new CognitoIdentityProviderClient({
  region: 'us-east-1',
  endpoint: stack.endpoints.cognito,
  credentials: { ...stack.credentials },
});
try {
  const pool = await client.send(
    new CreateUserPoolCommand({
      PoolName: 'bench',
      UsernameAttributes: ['email'],
      Schema: [{ Name: 'supabase_id', AttributeDataType: 'String', Mutable: true }],
    }),
  );
  const limiter = new RateLimiter({ ratePerSecond: RATE });
  const writer = new CognitoUserWriter(client, pool.UserPool?.Id ?? '', limiter);
  const users = Array.from({ length: N }, (_, i) => i);
  let errors = 0;
  let throttleErrors = 0;
  const start = performance.now();
  // Batches of 500 as the step reads them: memory stays bounded by a batch.
  for (let from = 0; from < N; from += 500) {
    await forEachConcurrent(users.slice(from, from + 500), CONCURRENCY, async (i) => {
      const id = `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
      try {
        await writer.create({
          supabaseId: id,
          email: `user${i}@bench.example`,
          attributes: [
            { Name: 'email', Value: `user${i}@bench.example` },
            { Name: 'email_verified', Value: 'true' },
            { Name: 'custom:supabase_id', Value: id },
          ],
          enabled: true,
          password: { kind: 'none' },
          identities: [],
        });
      } catch (error) {
        errors++;
        if (/TooManyRequests|Throttl/.test(String((error as Error).message) + String((error as Error).name)))
          throttleErrors++;
      }
    });
  }
  const seconds = (performance.now() - start) / 1000;
  const calls = N * 2;
  const achieved = calls / seconds;
  const result = {
    machine: '2 cores, 24 GiB, Node 20.20',
    users: N,
    callsPerUser: 2,
    configuredRatePerSecond: RATE,
    achievedCallsPerSecond: Number(achieved.toFixed(2)),
    shareOfConfiguredRate: Number((achieved / RATE).toFixed(4)),
    usersPerSecond: Number((N / seconds).toFixed(2)),
    seconds: Number(seconds.toFixed(1)),
    throttledRetries: limiter.throttled,
    surfacedErrors: errors,
    surfacedThrottlingErrors: throttleErrors,
    peakRssMiB: Number((peakRss / 1024 / 1024).toFixed(1)),
  };
  writeFileSync('bench/results/auth.json', `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result, null, 2));
} finally {
  clearInterval(sampler);
  client.destroy();
  await stack.stop();
}
