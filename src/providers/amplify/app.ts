import type { AmplifyClient, App, Branch, DomainAssociation } from '@aws-sdk/client-amplify';
import { EngifyError, isTransient, toEngifyError } from '../../core/errors.js';
import { messages } from '../../core/messages.js';

// Thin, typed operations on an Amplify app, its production branch, env vars and domain association,
// with Amplify's errors turned into messages that say what to do. LimitExceededException is a quota
// (HTTP 429 on the wire, but waiting does not lift it), so it is a config error, not a transient one.

export const OWNER_TAG = 'engify-migrate:project';

const errorName = (e: unknown) => (e instanceof Error ? e.name : '');

export function isAmplifyNotFound(e: unknown): boolean {
  return errorName(e) === 'NotFoundException' || errorName(e) === 'ResourceNotFoundException';
}

export function amplifyError(e: unknown, what: string): EngifyError {
  if (e instanceof EngifyError) return e;
  const detail = e instanceof Error ? e.message : String(e);
  const m = messages.hosting;
  if (errorName(e) === 'LimitExceededException')
    return new EngifyError({
      code: 'AMPLIFY_QUOTA',
      kind: 'config',
      message: m.quota(what, detail),
      hint: m.quotaHint,
      cause: e,
    });
  if (errorName(e) === 'BadRequestException' || errorName(e) === 'UnauthorizedException')
    return new EngifyError({
      code: errorName(e) === 'UnauthorizedException' ? 'AMPLIFY_UNAUTHORIZED' : 'AMPLIFY_BAD_REQUEST',
      kind: 'config',
      message: m.amplifyFailed(what, detail),
      hint: m.amplifyFailedHint,
      cause: e,
    });
  return toEngifyError(e, {
    code: 'AMPLIFY_FAILED',
    kind: isTransient(e) ? 'transient' : 'system',
    message: m.amplifyFailed(what, detail),
    hint: m.amplifyFailedHint,
  });
}

export async function amplifyOps(client: AmplifyClient) {
  const a = await import('@aws-sdk/client-amplify');
  const wrap = async <T>(what: string, call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (e) {
      throw amplifyError(e, what);
    }
  };
  const orUndefined = async <T>(what: string, call: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await call();
    } catch (e) {
      if (isAmplifyNotFound(e)) return undefined;
      throw amplifyError(e, what);
    }
  };

  return {
    /** Every app with this name (names are not unique on Amplify). */
    async findApps(name: string): Promise<App[]> {
      const found: App[] = [];
      let nextToken: string | undefined;
      do {
        const page = await wrap('list apps', () =>
          client.send(new a.ListAppsCommand({ maxResults: 100, nextToken })),
        );
        found.push(...(page.apps ?? []).filter((x) => x.name === name));
        nextToken = page.nextToken;
      } while (nextToken);
      return found;
    },
    getApp: (appId: string) =>
      orUndefined(`read app ${appId}`, async () => (await client.send(new a.GetAppCommand({ appId }))).app),
    createApp: (input: {
      name: string;
      platform: 'WEB' | 'WEB_COMPUTE';
      buildSpec: string;
      description: string;
      tags: Record<string, string>;
    }) =>
      wrap(`create app ${input.name}`, async () => {
        const out = await client.send(
          new a.CreateAppCommand({
            name: input.name,
            platform: input.platform,
            buildSpec: input.buildSpec,
            description: input.description,
            tags: input.tags,
            enableBranchAutoBuild: false,
          }),
        );
        return out.app as App;
      }),
    updateApp: (
      appId: string,
      input: {
        environmentVariables?: Record<string, string>;
        buildSpec?: string;
        platform?: 'WEB' | 'WEB_COMPUTE';
      },
    ) =>
      wrap(
        `update app ${appId}`,
        async () => (await client.send(new a.UpdateAppCommand({ appId, ...input }))).app as App,
      ),
    deleteApp: (appId: string) =>
      orUndefined(
        `delete app ${appId}`,
        async () => (await client.send(new a.DeleteAppCommand({ appId }))).app,
      ),
    getBranch: (appId: string, branchName: string): Promise<Branch | undefined> =>
      orUndefined(
        `read branch ${branchName}`,
        async () => (await client.send(new a.GetBranchCommand({ appId, branchName }))).branch,
      ),
    createBranch: (appId: string, branchName: string, framework: string) =>
      wrap(
        `create branch ${branchName}`,
        async () =>
          (
            await client.send(
              new a.CreateBranchCommand({
                appId,
                branchName,
                stage: 'PRODUCTION',
                framework,
                enableAutoBuild: true,
              }),
            )
          ).branch as Branch,
      ),
    deleteBranch: (appId: string, branchName: string) =>
      orUndefined(`delete branch ${branchName}`, () =>
        client.send(new a.DeleteBranchCommand({ appId, branchName })),
      ),
    getDomain: (appId: string, domainName: string): Promise<DomainAssociation | undefined> =>
      orUndefined(
        `read domain ${domainName}`,
        async () =>
          (await client.send(new a.GetDomainAssociationCommand({ appId, domainName }))).domainAssociation,
      ),
    createDomain: (appId: string, domainName: string, subDomains: { prefix: string; branchName: string }[]) =>
      wrap(
        `associate domain ${domainName}`,
        async () =>
          (
            await client.send(
              new a.CreateDomainAssociationCommand({
                appId,
                domainName,
                subDomainSettings: subDomains,
                enableAutoSubDomain: false,
              }),
            )
          ).domainAssociation as DomainAssociation,
      ),
    deleteDomain: (appId: string, domainName: string) =>
      orUndefined(`delete domain ${domainName}`, () =>
        client.send(new a.DeleteDomainAssociationCommand({ appId, domainName })),
      ),
  };
}

export type AmplifyOps = Awaited<ReturnType<typeof amplifyOps>>;

/** The DNS records a user must set for an association: the certificate validation record and one per subdomain. */
export function dnsRecords(association: DomainAssociation): { name: string; type: string; value: string }[] {
  const out: { name: string; type: string; value: string }[] = [];
  const domain = association.domainName ?? '';
  const cert =
    association.certificateVerificationDNSRecord ?? association.certificate?.certificateVerificationDNSRecord;
  if (cert) {
    const [name, type, value] = cert.trim().split(/\s+/);
    if (name && type && value) out.push({ name, type, value });
  }
  for (const s of association.subDomains ?? []) {
    const parts = (s.dnsRecord ?? '').trim().split(/\s+/);
    // Amplify writes " CNAME target" for the apex (empty prefix) and "www CNAME target" otherwise.
    const [prefix, type, value] = parts.length === 2 ? ['', parts[0], parts[1]] : parts;
    if (!type || !value) continue;
    out.push({
      name: prefix ? `${prefix}.${domain}` : domain,
      type: prefix ? type : `${type} (or ALIAS/ANAME at the apex)`,
      value,
    });
  }
  return out;
}
