import type { HostingDeployConfig } from '../../config/schema.js';
import { messages } from '../../core/messages.js';
import type { Check, StepContext } from '../../core/step.js';
import { fetchPage, type PageAnswer } from '../../providers/amplify/branch-site.js';
import { branchUrl } from '../../providers/amplify/deploy.js';
import { amplifyConfig, ops } from './hosting-shared.js';

// verify's proof that the deployment serves: each hosting.smoke path fetched from the branch's default
// URL (https://<branch displayName>.<app defaultDomain>) answers the expected status and, where asked,
// the same body as the source deployment (compareWith) serves at that path.

const m = messages.hostingDeploy;

async function get(url: string, via: string | undefined, signal: AbortSignal): Promise<PageAnswer | string> {
  try {
    return await fetchPage(url, { via, signal });
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/** The branch URL the app's users (and the smoke checks) reach. */
export async function deployedUrl(ctx: StepContext, appId: string): Promise<string | undefined> {
  const amplify = await ops(ctx);
  const branchName = amplifyConfig(ctx).branch;
  const [app, branch] = await Promise.all([amplify.getApp(appId), amplify.getBranch(appId, branchName)]);
  if (!app?.defaultDomain || !branch) return undefined;
  return branchUrl(branch.displayName || branchName, app.defaultDomain);
}

export async function siteChecks(ctx: StepContext, h: HostingDeployConfig, appId: string): Promise<Check[]> {
  const base = await deployedUrl(ctx, appId);
  if (!base)
    return [
      { name: 'branch URL', expected: 'known', actual: 'missing', ok: false, hint: m.noDeploymentHint },
    ];
  const via = ctx.config.target.aws.endpoints.amplifyHosting;
  const checks: Check[] = [];
  for (const s of h.smoke) {
    const got = await get(`${base}${s.path}`, via, ctx.signal);
    const status = typeof got === 'string' ? got : got.status;
    checks.push({
      name: `GET ${base}${s.path}`,
      expected: s.status,
      actual: status,
      ok: status === s.status,
      ...(status === s.status ? {} : { hint: m.smokeHint(base, s.path) }),
    });
    if (!s.sameBody || !h.compareWith || typeof got === 'string') continue;
    const source = await get(`${h.compareWith.replace(/\/$/, '')}${s.path}`, undefined, ctx.signal);
    const want = typeof source === 'string' ? `unreadable: ${source}` : source.sha256;
    checks.push({
      name: `body of ${s.path} equals ${h.compareWith}`,
      expected: want,
      actual: got.sha256,
      ok: want === got.sha256,
      ...(want === got.sha256 ? {} : { hint: m.bodyDiffersHint(s.path) }),
    });
  }
  return checks;
}
