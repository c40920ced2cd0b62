import { createHash } from 'node:crypto';
import type { Check, StepContext } from '../../core/step.js';
import { apiUrlOutput, backendConfig, desired, pool } from './backend-shared.js';

// verify of the HTTP API end to end: the smoke requests from backend.smoke (default: the Render
// health check) sent to the Render URL and to the gateway give the same status (and body digest where
// marked deterministic); a protected route without a token answers 401 on the gateway; with a token
// from a sign-in of a migrated user (auth.verifySignIn, when the strategy keeps passwords) it answers
// what Render answers.

const TIMEOUT_MS = 10_000;

interface Answer {
  status: number;
  digest: string;
}

async function call(url: string, method: string, token?: string): Promise<Answer> {
  const res = await fetch(url, {
    method,
    headers: token ? { authorization: `Bearer ${token}` } : {},
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  const body = Buffer.from(await res.arrayBuffer());
  return { status: res.status, digest: createHash('sha256').update(body).digest('hex').slice(0, 16) };
}

async function token(ctx: StepContext): Promise<string | undefined> {
  const user = ctx.config.auth?.verifySignIn[0];
  const ids = pool(ctx);
  if (!user || !ids || ctx.config.auth?.passwords === 'reset') return undefined;
  const { InitiateAuthCommand } = await import('@aws-sdk/client-cognito-identity-provider');
  const out = await (await ctx.services.cognito()).send(
    new InitiateAuthCommand({
      AuthFlow: 'USER_PASSWORD_AUTH',
      ClientId: ids.appClientId,
      AuthParameters: { USERNAME: user.email.toLowerCase(), PASSWORD: user.password },
    }),
  );
  return out.AuthenticationResult?.IdToken;
}

export async function smokeChecks(ctx: StepContext): Promise<Check[]> {
  const b = backendConfig(ctx);
  const want = await desired(ctx);
  const gateway = apiUrlOutput(ctx);
  const render = (
    b.sourceUrl ??
    want.settings.service?.url ??
    `https://${want.settings.name}.onrender.com`
  ).replace(/\/$/, '');
  if (!gateway) return [{ name: 'backend smoke', expected: 'gateway URL', actual: 'none', ok: false }];
  const smoke = b.smoke ?? [
    { method: 'GET' as const, path: want.readinessPath, status: 200, auth: false, deterministic: false },
  ];
  const checks: Check[] = [];
  let signedIn: string | undefined;
  let signInTried = false;
  for (const s of smoke) {
    const name = `smoke ${s.method} ${s.path}${s.auth ? ' (signed in)' : ''}`;
    try {
      if (s.auth && !signInTried) {
        signInTried = true;
        signedIn = await token(ctx);
      }
      if (s.auth && !signedIn) {
        checks.push({
          name,
          expected: 'a token',
          actual: 'no sign-in possible',
          ok: false,
          skipped: true,
          hint: 'Set auth.verifySignIn (a strategy that keeps passwords).',
        });
        continue;
      }
      const [a, g] = await Promise.all([
        call(`${render}${s.path}`, s.method, signedIn && s.auth ? signedIn : undefined),
        call(`${gateway}${s.path}`, s.method, s.auth ? signedIn : undefined),
      ]);
      const ok =
        a.status === s.status && g.status === s.status && (!s.deterministic || a.digest === g.digest);
      checks.push({
        name,
        expected: { status: s.status, ...(s.deterministic ? { sameBody: true } : {}) },
        actual: {
          render: a.status,
          gateway: g.status,
          ...(s.deterministic ? { sameBody: a.digest === g.digest } : {}),
        },
        ok,
      });
      if (s.auth) {
        // The same protected route without a token must be refused by the authorizer.
        const anon = await call(`${gateway}${s.path}`, s.method);
        checks.push({
          name: `${s.method} ${s.path} without a token`,
          expected: 401,
          actual: anon.status,
          ok: anon.status === 401,
        });
      }
    } catch (error) {
      checks.push({
        name,
        expected: s.status,
        actual: error instanceof Error ? error.message : String(error),
        ok: false,
      });
    }
  }
  return checks;
}
