import type { SNSClient } from '@aws-sdk/client-sns';
import { EngifyError, isTransient, toEngifyError } from '../../core/errors.js';

// Typed SNS operations (the SDK's CreateTopic, ListTopics, Subscribe, ListSubscriptionsByTopic,
// DeleteTopic) over SNS's awsQuery protocol. CreateTopic is idempotent by name (the same ARN comes
// back), so whether a topic existed before is asked with ListTopics.

const errorName = (e: unknown) => (e instanceof Error ? e.name : '');

function snsError(e: unknown, what: string): EngifyError {
  if (e instanceof EngifyError) return e;
  const detail = e instanceof Error ? e.message : String(e);
  return toEngifyError(e, {
    code: 'SNS_FAILED',
    kind: ['InvalidParameter', 'InvalidParameterException'].includes(errorName(e))
      ? 'config'
      : isTransient(e)
        ? 'transient'
        : 'system',
    message: `SNS could not ${what}: ${detail}`,
    hint: 'Check monitoring.snsTopic / monitoring.alarmEmail and target.aws (endpoints.sns); rerun once fixed.',
  });
}

export interface Subscription {
  arn: string;
  protocol: string;
  endpoint: string;
}

export async function snsOps(client: SNSClient) {
  const sns = await import('@aws-sdk/client-sns');
  const wrap = async <T>(what: string, call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (e) {
      throw snsError(e, what);
    }
  };
  const listTopics = () =>
    wrap('list topics', async () => {
      const out: string[] = [];
      let token: string | undefined;
      do {
        const r = await client.send(new sns.ListTopicsCommand(token ? { NextToken: token } : {}));
        for (const t of r.Topics ?? []) if (t.TopicArn) out.push(t.TopicArn);
        token = r.NextToken;
      } while (token);
      return out;
    });
  return {
    listTopics,
    /** The ARN of the topic of that name, if one exists. */
    findTopic: async (name: string) => (await listTopics()).find((arn) => arn.split(':').at(-1) === name),
    createTopic: (name: string, tags: Record<string, string>) =>
      wrap(`create topic ${name}`, async () => {
        const r = await client.send(
          new sns.CreateTopicCommand({
            Name: name,
            Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
          }),
        );
        if (!r.TopicArn) throw new Error('CreateTopic returned no TopicArn');
        return r.TopicArn;
      }),
    subscriptions: (topicArn: string) =>
      wrap(`list subscriptions of ${topicArn}`, async () => {
        const out: Subscription[] = [];
        let token: string | undefined;
        do {
          const r = await client.send(
            new sns.ListSubscriptionsByTopicCommand({
              TopicArn: topicArn,
              ...(token ? { NextToken: token } : {}),
            }),
          );
          for (const s of r.Subscriptions ?? [])
            out.push({
              arn: s.SubscriptionArn ?? '',
              protocol: s.Protocol ?? '',
              endpoint: s.Endpoint ?? '',
            });
          token = r.NextToken;
        } while (token);
        return out;
      }),
    subscribeEmail: (topicArn: string, email: string) =>
      wrap(`subscribe ${email} to ${topicArn}`, async () => {
        const r = await client.send(
          new sns.SubscribeCommand({ TopicArn: topicArn, Protocol: 'email', Endpoint: email }),
        );
        return r.SubscriptionArn ?? 'pending confirmation';
      }),
    deleteTopic: (topicArn: string) =>
      wrap(`delete topic ${topicArn}`, async () => {
        await client.send(new sns.DeleteTopicCommand({ TopicArn: topicArn }));
      }),
  };
}

export type SnsOps = Awaited<ReturnType<typeof snsOps>>;
