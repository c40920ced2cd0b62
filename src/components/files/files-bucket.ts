import type { S3Config } from '../../config/schema.js';
import { EngifyError } from '../../core/errors.js';
import { messages } from '../../core/messages.js';
import { planDrift } from '../../core/plan-drift.js';
import type { Check, PlannedAction, Step, StepContext } from '../../core/step.js';
import { bucketAdapter, bucketDiff, desiredCors } from '../../providers/s3/bucket.js';

const BUCKET = 's3-bucket';

function s3Config(ctx: StepContext): S3Config {
  const c = ctx.config.target.s3;
  if (!c)
    throw new EngifyError({ code: 'CONFIG_MISSING', kind: 'config', message: 'target.s3 is not configured' });
  return c;
}

/** Settings an earlier apply found the S3 service refuses (local stand-ins): not drift, not a pass. */
function refusedSettings(ctx: StepContext): string[] {
  const r = ctx.journal.outputOf('files.bucket', 'unsupportedSettings');
  return Array.isArray(r) ? r.filter((x): x is string => typeof x === 'string') : [];
}

async function adapter(ctx: StepContext) {
  return bucketAdapter(await ctx.services.s3());
}

/**
 * `create`: there was no bucket; `use`: plan found it (and `adopt` when an interrupted run of ours
 * created it). Either way apply then sets encryption, versioning and CORS as configured.
 */
type BucketAction = PlannedAction<
  'bucket',
  { kind: 'create'; cors: number; versioning: boolean } | { kind: 'use'; adopt: boolean; diff: string[] }
>;

export const filesBucket: Step<BucketAction> = {
  id: 'files.bucket',
  phase: 1,
  component: 'files',
  title: 'S3 bucket (encryption, versioning, CORS)',
  dependsOn: [],
  enabled: (config) => config.target.s3 !== undefined,

  async plan(ctx) {
    const config = s3Config(ctx);
    const observed = await (await adapter(ctx)).observe(config.bucket);
    const resource = `bucket ${config.bucket}`;
    if (observed.foreign) {
      throw new EngifyError({
        code: 'S3_BUCKET_FOREIGN',
        kind: 'config',
        message: messages.files.bucketForeign(config.bucket),
        hint: messages.files.bucketForeignHint,
      });
    }
    if (!observed.exists) {
      return [
        {
          action: 'create',
          resource,
          subject: 'bucket',
          summary: `create with SSE-S3 encryption${config.versioning ? ', versioning' : ''}${config.cors.length ? `, ${config.cors.length} CORS rule(s)` : ''}`,
          details: { kind: 'create', cors: desiredCors(config).length, versioning: config.versioning },
        },
      ];
    }
    const diff = bucketDiff(observed, config, refusedSettings(ctx));
    const recorded = ctx.journal.outputOf('files.bucket', 'bucket') === config.bucket;
    const ours = ctx.journal.pendingIntents().some((r) => r.kind === BUCKET && r.name === config.bucket);
    const adopt = ours && !ctx.journal.createdResources().some((r) => r.kind === BUCKET);
    const use = { kind: 'use' as const, adopt, diff };
    if (diff.length > 0)
      return [{ action: 'update', resource, subject: 'bucket', summary: diff.join('; '), details: use }];
    if (!recorded) {
      return [
        {
          action: 'update',
          resource,
          subject: 'bucket',
          summary: ours
            ? 'adopt the bucket an interrupted run created'
            : 'use the existing bucket (not created by this tool: rollback keeps it)',
          details: use,
        },
      ];
    }
    return [
      {
        action: 'noop',
        resource,
        subject: 'bucket',
        summary: 'exists with the configured settings',
        details: use,
      },
    ];
  },

  async apply(ctx, change) {
    const config = s3Config(ctx);
    const buckets = await adapter(ctx);
    const observed = await buckets.observe(config.bucket);
    const planned = change.details;
    if (planned.kind === 'create') {
      // Bucket names are global: one that appeared since the plan is someone else's, never ours to adopt.
      const ours = [...ctx.journal.pendingIntents(), ...ctx.journal.createdResources()].some(
        (r) => r.kind === BUCKET && r.name === config.bucket,
      );
      if (observed.exists && !ours)
        throw planDrift(this.id, change.resource, 'no such bucket', 'a bucket of that name');
      if (!observed.exists) {
        ctx.journal.intent({ kind: BUCKET, name: config.bucket });
        await buckets.create(config.bucket, ctx.config.target.aws.region);
        ctx.journal.created({ kind: BUCKET, name: config.bucket, id: config.bucket });
      }
    } else {
      if (!observed.exists)
        throw planDrift(this.id, change.resource, 'the existing bucket', 'no such bucket');
      if (planned.adopt) ctx.journal.created({ kind: BUCKET, name: config.bucket, id: config.bucket });
    }
    const refused = await buckets.configure(config.bucket, config);
    for (const r of refused) ctx.log(`the S3 service does not support ${r}; left as is`);
    ctx.journal.output('bucket', config.bucket);
    ctx.journal.output('unsupportedSettings', refused);
  },

  async verify(ctx) {
    const checks: Check[] = [];
    try {
      const config = s3Config(ctx);
      const observed = await (await adapter(ctx)).observe(config.bucket);
      checks.push({
        name: `bucket ${config.bucket} exists`,
        expected: true,
        actual: observed.exists,
        ok: observed.exists,
      });
      if (!observed.exists) return checks;
      const refused = refusedSettings(ctx);
      const setting = (
        name: string,
        support: { supported: boolean; reason?: string },
        ok: boolean,
        expected: string,
        actual: unknown,
      ) => {
        const refusal = refused.find((r) => r.startsWith(name.split(' ').at(-1) ?? name));
        if (!ok && refusal) {
          checks.push({
            name,
            expected,
            actual: `refused by this S3 service when applied: ${refusal}`,
            ok: false,
            skipped: true,
          });
        } else if (!support.supported) {
          checks.push({
            name,
            expected,
            actual: `not supported by this S3 service: ${support.reason}`,
            ok: false,
            skipped: true,
          });
        } else checks.push({ name, expected, actual: actual === undefined ? 'off' : (actual as string), ok });
      };
      const enc = observed.encryption;
      setting(
        'bucket encryption',
        enc,
        enc.supported && enc.value !== undefined,
        'AES256 or aws:kms',
        enc.supported ? enc.value : undefined,
      );
      if (config.versioning) {
        const v = observed.versioning;
        setting(
          'bucket versioning',
          v,
          v.supported && v.value === 'Enabled',
          'Enabled',
          v.supported ? v.value : undefined,
        );
      }
      const cors = observed.cors;
      const corsOk =
        bucketDiff(
          {
            ...observed,
            encryption: { supported: false, reason: '' },
            versioning: { supported: false, reason: '' },
          },
          config,
        ).length === 0;
      setting(
        'bucket cors',
        cors,
        cors.supported && corsOk,
        `${config.cors.length} rule(s)`,
        cors.supported ? `${cors.value.length} rule(s)` : undefined,
      );
    } catch (error) {
      checks.push({
        name: 's3 reachable',
        expected: 'answers',
        actual: error instanceof Error ? error.message : String(error),
        ok: false,
      });
    }
    return checks;
  },

  async rollback(ctx) {
    const buckets = await adapter(ctx);
    for (const r of ctx.journal.createdResources().filter((x) => x.kind === BUCKET)) {
      if (!(await buckets.isEmpty(r.name))) {
        throw new EngifyError({
          code: 'S3_BUCKET_NOT_EMPTY',
          kind: 'config',
          message: `The bucket ${r.name} still holds objects, so it was not deleted.`,
          hint: 'Roll back phase 2 first (it deletes the objects this tool copied); objects put there by others are never deleted.',
        });
      }
      await buckets.delete(r.name);
      ctx.journal.undone({ resource: r });
    }
  },

  async verifyRollback(ctx) {
    const buckets = await adapter(ctx);
    const checks: Check[] = [];
    for (const r of ctx.journal.records()) {
      if (r.type !== 'undone' || r.resource?.kind !== BUCKET) continue;
      const o = await buckets.observe(r.resource.name);
      checks.push({
        name: `bucket ${r.resource.name} deleted`,
        expected: 'absent',
        actual: o.exists ? 'present' : 'absent',
        ok: !o.exists,
      });
    }
    return checks;
  },
};
