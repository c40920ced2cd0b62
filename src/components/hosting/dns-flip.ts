import { messages } from '../../core/messages.js';
import type { StepContext } from '../../core/step.js';
import type { RecordChange } from '../../providers/route53/records.js';
import { restoreOriginals } from './dns-records.js';
import {
  commit,
  currentOf,
  journaledEntries,
  journaledZone,
  r53,
  refuseChanged,
  replace,
  whereIs,
} from './dns-shared.js';

// The DNS part of the hosting cutover: `--to target` points the domain's names at Amplify (the
// targets dns.records journaled), `--to source` puts back the exact record sets journaled before the
// first change. Each name is checked first; one that holds something this tool did not leave there
// is refused with a diff and nothing at all is written. Without dns.records (no target.route53) there
// is nothing to switch: the user changes DNS by hand, as the printed records say.

const m = messages.dns;

export async function dnsToTarget(ctx: StepContext, say: (m: string) => void): Promise<void> {
  const zone = journaledZone(ctx);
  const entries = journaledEntries(ctx).filter((e) => e.role === 'traffic');
  if (!zone || entries.length === 0) return;
  const r = await r53(ctx);
  const changes: RecordChange[] = [];
  for (const e of entries) {
    const now = await currentOf(r, zone.id, e);
    const where = whereIs(e, now);
    if (where === 'target') continue;
    if (where === 'other') throw refuseChanged(e.name, e.lowered ?? e.original, now);
    changes.push(...replace(now, [e.target]));
  }
  if (changes.length === 0) return say(m.alreadySwitched('target'));
  await commit(ctx, r, zone.id, changes, `engify-migrate ${ctx.config.project}: cutover to Amplify`, say);
  say(
    m.switched(
      entries.map((e) => e.name),
      'target',
    ),
  );
}

export async function dnsToSource(ctx: StepContext, say: (m: string) => void): Promise<void> {
  const zone = journaledZone(ctx);
  const entries = journaledEntries(ctx).filter((e) => e.role === 'traffic');
  if (!zone || entries.length === 0) return;
  const r = await r53(ctx);
  // Only names this tool switched go back; a name still lowered or original is left as it is.
  const switched = [];
  for (const e of entries) {
    const now = await currentOf(r, zone.id, e);
    const where = whereIs(e, now);
    if (where === 'other') throw refuseChanged(e.name, [e.target], now);
    if (where === 'target') switched.push(e);
  }
  if (switched.length === 0) return say(m.alreadySwitched('source'));
  await restoreOriginals(ctx, r, zone.id, switched, say);
  say(
    m.switched(
      switched.map((e) => e.name),
      'source',
    ),
  );
}

export const hostingFlip = { toTarget: dnsToTarget, toSource: dnsToSource };
