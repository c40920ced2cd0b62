import { randomBytes } from 'node:crypto';
import {
  type RecordedRequest,
  type RunningStandIn,
  type StandInReply,
  startStandIn,
} from './http-stand-in.js';

// Stand-in for the IAM role operations the backend steps call, over IAM's awsQuery protocol (POST /
// with a form body Action=...&Version=2010-05-08, XML answers in the
// https://iam.amazonaws.com/doc/2010-05-08/ namespace): CreateRole, GetRole, DeleteRole (refused with
// DeleteConflict while policies remain, as IAM does), PutRolePolicy, GetRolePolicy, ListRolePolicies,
// DeleteRolePolicy, AttachRolePolicy, ListAttachedRolePolicies, DetachRolePolicy. Policy documents
// come back URL-encoded, as IAM returns them. It records roles and policies so the Lambda stand-in can
// ask whether a role trusts lambda.amazonaws.com and may read a secret.

export interface RoleRecord {
  name: string;
  arn: string;
  id: string;
  trust: string;
  tags: { Key: string; Value: string }[];
  inline: Map<string, string>;
  attached: Set<string>;
  created: string;
}

export interface IamStandIn extends RunningStandIn {
  roles: Map<string, RoleRecord>;
  /** The role exists and its trust policy lets lambda.amazonaws.com assume it. */
  trustsLambda(roleArn: string): boolean;
  /** An inline policy of the role allows `action` on `resource` (exact or wildcard match). */
  allows(roleArn: string, action: string, resource: string): boolean;
}

const NS = 'https://iam.amazonaws.com/doc/2010-05-08/';
const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const requestId = () => randomBytes(16).toString('hex');

const ok = (action: string, result: string): StandInReply => ({
  status: 200,
  headers: { 'content-type': 'text/xml' },
  raw: `<${action}Response xmlns="${NS}">${result ? `<${action}Result>${result}</${action}Result>` : ''}<ResponseMetadata><RequestId>${requestId()}</RequestId></ResponseMetadata></${action}Response>`,
});
const fail = (status: number, code: string, message: string): StandInReply => ({
  status,
  headers: { 'content-type': 'text/xml' },
  raw: `<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${esc(message)}</Message></Error><RequestId>${requestId()}</RequestId></ErrorResponse>`,
});

const roleXml = (r: RoleRecord) =>
  `<Role><Path>/</Path><RoleName>${esc(r.name)}</RoleName><RoleId>${r.id}</RoleId><Arn>${esc(r.arn)}</Arn><CreateDate>${r.created}</CreateDate><AssumeRolePolicyDocument>${esc(encodeURIComponent(r.trust))}</AssumeRolePolicyDocument>${r.tags.length ? `<Tags>${r.tags.map((t) => `<member><Key>${esc(t.Key)}</Key><Value>${esc(t.Value)}</Value></member>`).join('')}</Tags>` : ''}</Role>`;

const glob = (pattern: string, value: string) =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  ).test(value);
const list = (v: unknown): string[] =>
  Array.isArray(v) ? v.map(String) : v === undefined ? [] : [String(v)];

export async function startIamApi(options: { account?: string } = {}): Promise<IamStandIn> {
  const account = options.account ?? '123456789012';
  const roles = new Map<string, RoleRecord>();
  const byArn = (arn: string) => [...roles.values()].find((r) => r.arn === arn);

  const handler = (req: RecordedRequest): StandInReply => {
    if (!req.headers.authorization?.startsWith('AWS4-HMAC-SHA256'))
      return fail(403, 'MissingAuthenticationToken', 'Missing Authentication Token');
    const form = new URLSearchParams(req.body);
    const action = form.get('Action') ?? '';
    const name = form.get('RoleName') ?? '';
    const role = roles.get(name);
    const noRole = () => fail(404, 'NoSuchEntity', `The role with name ${name} cannot be found.`);
    switch (action) {
      case 'CreateRole': {
        if (role) return fail(409, 'EntityAlreadyExists', `Role with name ${name} already exists.`);
        const trust = form.get('AssumeRolePolicyDocument') ?? '';
        try {
          JSON.parse(trust);
        } catch {
          return fail(400, 'MalformedPolicyDocument', 'This policy contains invalid Json');
        }
        const tags: RoleRecord['tags'] = [];
        for (let i = 1; form.has(`Tags.member.${i}.Key`); i++)
          tags.push({
            Key: form.get(`Tags.member.${i}.Key`) ?? '',
            Value: form.get(`Tags.member.${i}.Value`) ?? '',
          });
        const record: RoleRecord = {
          name,
          arn: `arn:aws:iam::${account}:role/${name}`,
          id: `AROA${randomBytes(8).toString('hex').toUpperCase()}`,
          trust,
          tags,
          inline: new Map(),
          attached: new Set(),
          created: new Date().toISOString(),
        };
        roles.set(name, record);
        return ok(action, roleXml(record));
      }
      case 'GetRole':
        return role ? ok(action, roleXml(role)) : noRole();
      case 'DeleteRole':
        if (!role) return noRole();
        if (role.inline.size || role.attached.size)
          return fail(409, 'DeleteConflict', 'Cannot delete entity, must delete policies first.');
        roles.delete(name);
        return ok(action, '');
      case 'PutRolePolicy': {
        if (!role) return noRole();
        const doc = form.get('PolicyDocument') ?? '';
        try {
          JSON.parse(doc);
        } catch {
          return fail(400, 'MalformedPolicyDocument', 'Syntax errors in policy.');
        }
        role.inline.set(form.get('PolicyName') ?? '', doc);
        return ok(action, '');
      }
      case 'GetRolePolicy': {
        if (!role) return noRole();
        const policy = form.get('PolicyName') ?? '';
        const doc = role.inline.get(policy);
        if (doc === undefined)
          return fail(404, 'NoSuchEntity', `The role policy with name ${policy} cannot be found.`);
        return ok(
          action,
          `<RoleName>${esc(name)}</RoleName><PolicyName>${esc(policy)}</PolicyName><PolicyDocument>${esc(encodeURIComponent(doc))}</PolicyDocument>`,
        );
      }
      case 'ListRolePolicies':
        if (!role) return noRole();
        return ok(
          action,
          `<PolicyNames>${[...role.inline.keys()].map((n) => `<member>${esc(n)}</member>`).join('')}</PolicyNames><IsTruncated>false</IsTruncated>`,
        );
      case 'DeleteRolePolicy': {
        if (!role) return noRole();
        const policy = form.get('PolicyName') ?? '';
        if (!role.inline.delete(policy))
          return fail(404, 'NoSuchEntity', `The role policy with name ${policy} cannot be found.`);
        return ok(action, '');
      }
      case 'AttachRolePolicy':
        if (!role) return noRole();
        role.attached.add(form.get('PolicyArn') ?? '');
        return ok(action, '');
      case 'ListAttachedRolePolicies':
        if (!role) return noRole();
        return ok(
          action,
          `<AttachedPolicies>${[...role.attached].map((a) => `<member><PolicyName>${esc(a.split('/').at(-1) ?? a)}</PolicyName><PolicyArn>${esc(a)}</PolicyArn></member>`).join('')}</AttachedPolicies><IsTruncated>false</IsTruncated>`,
        );
      case 'DetachRolePolicy': {
        if (!role) return noRole();
        const arn = form.get('PolicyArn') ?? '';
        if (!role.attached.delete(arn)) return fail(404, 'NoSuchEntity', `Policy ${arn} was not found.`);
        return ok(action, '');
      }
      default:
        return fail(400, 'InvalidAction', `Could not find operation ${action}`);
    }
  };

  const running = await startStandIn(handler);
  return {
    ...running,
    roles,
    trustsLambda(roleArn) {
      const r = byArn(roleArn);
      if (!r) return false;
      const doc = JSON.parse(r.trust) as {
        Statement?: { Effect?: string; Action?: unknown; Principal?: { Service?: unknown } }[];
      };
      return (doc.Statement ?? []).some(
        (s) =>
          s.Effect === 'Allow' &&
          list(s.Action).includes('sts:AssumeRole') &&
          list(s.Principal?.Service).includes('lambda.amazonaws.com'),
      );
    },
    allows(roleArn, action, resource) {
      const r = byArn(roleArn);
      if (!r) return false;
      return [...r.inline.values()].some((text) => {
        const doc = JSON.parse(text) as {
          Statement?: { Effect?: string; Action?: unknown; Resource?: unknown }[];
        };
        return (doc.Statement ?? []).some(
          (s) =>
            s.Effect === 'Allow' &&
            list(s.Action).some((a) => glob(a, action)) &&
            list(s.Resource).some((x) => glob(x, resource)),
        );
      });
    },
  };
}
