import { randomBytes } from 'node:crypto';
import {
  type RecordedRequest,
  type RunningStandIn,
  type StandInReply,
  startStandIn,
} from './http-stand-in.js';

// Stand-in for the SNS operations the monitoring step calls, over SNS's awsQuery protocol (POST / with a
// form body Action=...&Version=2010-03-31, XML answers in the http://sns.amazonaws.com/doc/2010-03-31/
// namespace): CreateTopic (idempotent by name: the same ARN comes back), ListTopics, Subscribe (an
// email subscription stays "pending confirmation" until its owner confirms, as SNS answers),
// ListSubscriptionsByTopic and DeleteTopic (which removes the topic's subscriptions too).

export interface TopicRecord {
  arn: string;
  name: string;
  tags: { Key: string; Value: string }[];
  subscriptions: { arn: string; protocol: string; endpoint: string; confirmed: boolean }[];
}

export interface SnsStandIn extends RunningStandIn {
  topics: Map<string, TopicRecord>;
  /** Requests of one Action, in order. */
  calls(action: string): RecordedRequest[];
}

const NS = 'http://sns.amazonaws.com/doc/2010-03-31/';
const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const requestId = () => randomBytes(16).toString('hex');

const ok = (action: string, result: string): StandInReply => ({
  status: 200,
  headers: { 'content-type': 'text/xml' },
  raw: `<${action}Response xmlns="${NS}"><${action}Result>${result}</${action}Result><ResponseMetadata><RequestId>${requestId()}</RequestId></ResponseMetadata></${action}Response>`,
});
const fail = (status: number, code: string, message: string): StandInReply => ({
  status,
  headers: { 'content-type': 'text/xml' },
  raw: `<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${esc(message)}</Message></Error><RequestId>${requestId()}</RequestId></ErrorResponse>`,
});

export async function startSnsApi(options: { region?: string; account?: string } = {}): Promise<SnsStandIn> {
  const region = options.region ?? 'us-east-1';
  const account = options.account ?? '123456789012';
  const topics = new Map<string, TopicRecord>();
  const byAction = new Map<string, RecordedRequest[]>();

  const handler = (req: RecordedRequest): StandInReply => {
    if (!req.headers.authorization?.startsWith('AWS4-HMAC-SHA256'))
      return fail(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.');
    const form = new URLSearchParams(req.body);
    const action = form.get('Action') ?? '';
    byAction.set(action, [...(byAction.get(action) ?? []), req]);
    const topicArn = form.get('TopicArn') ?? '';
    const topic = topics.get(topicArn);
    const notFound = () => fail(404, 'NotFound', 'Topic does not exist');
    switch (action) {
      case 'CreateTopic': {
        const name = form.get('Name') ?? '';
        if (!/^[A-Za-z0-9_-]{1,256}$/.test(name))
          return fail(400, 'InvalidParameter', 'Invalid parameter: Topic Name');
        const arn = `arn:aws:sns:${region}:${account}:${name}`;
        if (!topics.has(arn)) {
          const tags: TopicRecord['tags'] = [];
          for (let i = 1; form.has(`Tags.member.${i}.Key`); i++)
            tags.push({
              Key: form.get(`Tags.member.${i}.Key`) ?? '',
              Value: form.get(`Tags.member.${i}.Value`) ?? '',
            });
          topics.set(arn, { arn, name, tags, subscriptions: [] });
        }
        return ok(action, `<TopicArn>${esc(arn)}</TopicArn>`);
      }
      case 'ListTopics':
        return ok(
          action,
          `<Topics>${[...topics.keys()].map((a) => `<member><TopicArn>${esc(a)}</TopicArn></member>`).join('')}</Topics>`,
        );
      case 'Subscribe': {
        if (!topic) return notFound();
        const protocol = form.get('Protocol') ?? '';
        const endpoint = form.get('Endpoint') ?? '';
        if (protocol === 'email' && !/^[^@\s]+@[^@\s]+$/.test(endpoint))
          return fail(400, 'InvalidParameter', 'Invalid parameter: Email address');
        let sub = topic.subscriptions.find((s) => s.protocol === protocol && s.endpoint === endpoint);
        if (!sub) {
          sub = {
            arn: `${topic.arn}:${randomBytes(16).toString('hex')}`,
            protocol,
            endpoint,
            confirmed: protocol !== 'email',
          };
          topic.subscriptions.push(sub);
        }
        const shown =
          sub.confirmed || form.get('ReturnSubscriptionArn') === 'true' ? sub.arn : 'pending confirmation';
        return ok(action, `<SubscriptionArn>${esc(shown)}</SubscriptionArn>`);
      }
      case 'ListSubscriptionsByTopic':
        if (!topic) return notFound();
        return ok(
          action,
          `<Subscriptions>${topic.subscriptions
            .map(
              (s) =>
                `<member><TopicArn>${esc(topic.arn)}</TopicArn><Protocol>${esc(s.protocol)}</Protocol><SubscriptionArn>${esc(s.confirmed ? s.arn : 'PendingConfirmation')}</SubscriptionArn><Owner>${account}</Owner><Endpoint>${esc(s.endpoint)}</Endpoint></member>`,
            )
            .join('')}</Subscriptions>`,
        );
      case 'DeleteTopic':
        // SNS answers a delete of a topic that is gone with success (DeleteTopic is idempotent).
        topics.delete(topicArn);
        return ok(action, '');
      default:
        return fail(400, 'InvalidAction', `The action ${action} is not valid for this endpoint.`);
    }
  };
  const server = await startStandIn(handler);
  return { ...server, topics, calls: (a) => byAction.get(a) ?? [] };
}
