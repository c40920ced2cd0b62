// What an AWS region looks like, per partition. The patterns are the `regionRegex` of each partition in
// the AWS SDK's endpoint data (@aws-sdk/core, util-endpoints/lib/aws/partitions.js, SDK 3.981): a region
// matching none of them cannot be served by any AWS endpoint. Whether a well-shaped region is one the SDK
// lists is asked of the SDK itself at run time (knownRegion), so that list stays as current as the SDK.

export const PARTITION_PATTERNS: { partition: string; pattern: RegExp }[] = [
  { partition: 'aws', pattern: /^(us|eu|ap|sa|ca|me|af|il|mx)-\w+-\d+$/ },
  { partition: 'aws-cn', pattern: /^cn-\w+-\d+$/ },
  { partition: 'aws-eusc', pattern: /^eusc-(de)-\w+-\d+$/ },
  { partition: 'aws-iso', pattern: /^us-iso-\w+-\d+$/ },
  { partition: 'aws-iso-b', pattern: /^us-isob-\w+-\d+$/ },
  { partition: 'aws-iso-e', pattern: /^eu-isoe-\w+-\d+$/ },
  { partition: 'aws-iso-f', pattern: /^us-isof-\w+-\d+$/ },
  { partition: 'aws-us-gov', pattern: /^us-gov-\w+-\d+$/ },
];

/**
 * A region of any partition's shape, as one pattern (so the JSON Schema of the config carries it too).
 * `\w` in the SDK's patterns also takes '_' and upper case, which no region has: the lookahead keeps those out.
 */
export const ANY_PARTITION_REGION = new RegExp(
  `^(?=[a-z0-9-]+$)(?:${PARTITION_PATTERNS.map((p) => p.pattern.source.slice(1, -1)).join('|')})$`,
);

/** Whether the AWS SDK's partition data lists `region` (it gives a description only for listed ones). */
export async function knownRegion(region: string): Promise<boolean> {
  const { partition } = await import('@aws-sdk/core/client');
  return (partition(region) as { description?: string }).description !== undefined;
}
