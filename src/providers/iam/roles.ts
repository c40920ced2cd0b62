import type { IAMClient, Role } from '@aws-sdk/client-iam';
import { EngifyError, isTransient, toEngifyError } from '../../core/errors.js';

// Typed operations on one IAM role: create with a trust policy and tags, inline policies
// (PutRolePolicy / ListRolePolicies / DeleteRolePolicy), managed policy attachments
// (AttachRolePolicy / ListAttachedRolePolicies / DetachRolePolicy), and delete. IAM refuses to delete
// a role that still has policies, so delete() removes them first.

export const OWNER_TAG = 'engify-migrate:project';

const errorName = (e: unknown) => (e instanceof Error ? e.name : '');
const isNoSuchEntity = (e: unknown) =>
  errorName(e) === 'NoSuchEntityException' || errorName(e) === 'NoSuchEntity';

function iamError(e: unknown, what: string): EngifyError {
  if (e instanceof EngifyError) return e;
  const detail = e instanceof Error ? e.message : String(e);
  const config = [
    'MalformedPolicyDocumentException',
    'InvalidInputException',
    'LimitExceededException',
    'AccessDeniedException',
  ];
  return toEngifyError(e, {
    code: 'IAM_FAILED',
    kind: config.includes(errorName(e)) ? 'config' : isTransient(e) ? 'transient' : 'system',
    message: `IAM could not ${what}: ${detail}`,
    hint: 'Check the caller may manage IAM roles (iam:CreateRole, iam:PutRolePolicy, ...); rerun `apply` once fixed.',
  });
}

export async function iamOps(client: IAMClient) {
  const i = await import('@aws-sdk/client-iam');
  const wrap = async <T>(what: string, call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (e) {
      throw iamError(e, what);
    }
  };
  const ignoreMissing = async (what: string, call: () => Promise<unknown>) => {
    try {
      await call();
    } catch (e) {
      if (!isNoSuchEntity(e)) throw iamError(e, what);
    }
  };
  const inline = async (roleName: string): Promise<string[]> => {
    const names: string[] = [];
    let Marker: string | undefined;
    do {
      const r = await wrap(`list the policies of ${roleName}`, () =>
        client.send(new i.ListRolePoliciesCommand({ RoleName: roleName, Marker })),
      );
      names.push(...(r.PolicyNames ?? []));
      Marker = r.IsTruncated ? r.Marker : undefined;
    } while (Marker);
    return names;
  };
  const attached = async (roleName: string): Promise<string[]> => {
    const arns: string[] = [];
    let Marker: string | undefined;
    do {
      const r = await wrap(`list the attached policies of ${roleName}`, () =>
        client.send(new i.ListAttachedRolePoliciesCommand({ RoleName: roleName, Marker })),
      );
      arns.push(...(r.AttachedPolicies ?? []).map((p) => p.PolicyArn ?? ''));
      Marker = r.IsTruncated ? r.Marker : undefined;
    } while (Marker);
    return arns;
  };

  return {
    async getRole(roleName: string): Promise<Role | undefined> {
      try {
        return (await client.send(new i.GetRoleCommand({ RoleName: roleName }))).Role;
      } catch (e) {
        if (isNoSuchEntity(e)) return undefined;
        throw iamError(e, `read role ${roleName}`);
      }
    },
    createRole: (input: {
      roleName: string;
      trustPolicy: unknown;
      description: string;
      tags: Record<string, string>;
    }) =>
      wrap(`create role ${input.roleName}`, async () => {
        const r = await client.send(
          new i.CreateRoleCommand({
            RoleName: input.roleName,
            AssumeRolePolicyDocument: JSON.stringify(input.trustPolicy),
            Description: input.description,
            Tags: Object.entries(input.tags).map(([Key, Value]) => ({ Key, Value })),
          }),
        );
        return r.Role as Role;
      }),
    inlinePolicies: inline,
    async getInlinePolicy(roleName: string, policyName: string): Promise<unknown | undefined> {
      try {
        const r = await client.send(
          new i.GetRolePolicyCommand({ RoleName: roleName, PolicyName: policyName }),
        );
        // IAM returns policy documents URL-encoded.
        return JSON.parse(decodeURIComponent(r.PolicyDocument ?? '{}'));
      } catch (e) {
        if (isNoSuchEntity(e)) return undefined;
        throw iamError(e, `read policy ${policyName} of ${roleName}`);
      }
    },
    putInlinePolicy: (roleName: string, policyName: string, document: unknown) =>
      wrap(`put policy ${policyName} on ${roleName}`, () =>
        client.send(
          new i.PutRolePolicyCommand({
            RoleName: roleName,
            PolicyName: policyName,
            PolicyDocument: JSON.stringify(document),
          }),
        ),
      ),
    attachedPolicies: attached,
    attachPolicy: (roleName: string, policyArn: string) =>
      wrap(`attach ${policyArn} to ${roleName}`, () =>
        client.send(new i.AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: policyArn })),
      ),
    /** Deletes the role after removing its inline and attached policies; a missing role is fine. */
    async deleteRole(roleName: string): Promise<void> {
      for (const name of await inline(roleName).catch((e) =>
        isNoSuchEntity(e.cause) ? [] : Promise.reject(e),
      ))
        await ignoreMissing(`delete policy ${name}`, () =>
          client.send(new i.DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: name })),
        );
      for (const arn of await attached(roleName).catch((e) =>
        isNoSuchEntity(e.cause) ? [] : Promise.reject(e),
      ))
        await ignoreMissing(`detach ${arn}`, () =>
          client.send(new i.DetachRolePolicyCommand({ RoleName: roleName, PolicyArn: arn })),
        );
      await ignoreMissing(`delete role ${roleName}`, () =>
        client.send(new i.DeleteRoleCommand({ RoleName: roleName })),
      );
    },
  };
}

export type IamOps = Awaited<ReturnType<typeof iamOps>>;
