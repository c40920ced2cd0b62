import type { ComponentModule, PlanReport, PlanReportInput } from '../../core/component.js';
import { type Measure, measuresOf } from '../../core/measure.js';
import { messages } from '../../core/messages.js';
import { type CostEstimate, estimateCost, estimateJson } from './estimate.js';
import { ageInDays, bundledPricesDir, loadPrices, STALE_AFTER_DAYS } from './prices.js';

// The cost component has no steps: it adds one section to every plan, the estimate of what the target
// services will cost and which free-tier limits the migration passes, from the measures the other
// steps attached to their changes (see core/measure.ts).

const msg = messages.cost;

export function costReport(input: PlanReportInput): PlanReport {
  const { config } = input;
  const region = config.target.aws.region;
  const loaded = loadPrices(region, { pricesFile: config.cost.pricesFile, configDir: input.configDir });
  const measures: Measure[] = [
    ...measuresOf(input.steps, 'db'),
    ...measuresOf(input.steps, 'users'),
    ...measuresOf(input.steps, 'vectors'),
    ...measuresOf(input.steps, 'files'),
  ];
  const estimate = estimateCost({
    region,
    prices: loaded?.file,
    measures,
    // A provisioned instance prices its own class and storage (target.rds.instance), not cost.*.
    settings:
      config.target.rds?.mode === 'pg' && config.target.rds.instance
        ? {
            ...config.cost,
            rdsInstanceClass: config.target.rds.instance.class,
            rdsStorageGb: config.target.rds.instance.storageGb,
          }
        : config.cost,
    targets: {
      rds: config.target.rds !== undefined,
      dynamodb: config.target.dynamodb !== undefined && config.source.qdrant !== undefined,
      s3: config.target.s3 !== undefined,
      cognito: config.target.cognito !== undefined,
      backend: config.source.render !== undefined,
      amplify: config.target.amplify !== undefined,
    },
  });
  const warnings: string[] = [];
  const lines: string[] = [];
  if (loaded) {
    lines.push(msg.dated(loaded.file.checkedOn, loaded.path));
    const age = ageInDays(loaded.file, input.now);
    if (age > STALE_AFTER_DAYS) warnings.push(msg.stale(loaded.path, loaded.file.checkedOn, age));
  } else {
    lines.push(msg.noPricesLine(region));
    warnings.push(msg.noPrices(region, bundledPricesDir()));
  }
  lines.push(msg.conventions);
  lines.push(...render(estimate));
  for (const s of estimate.services)
    for (const f of s.freeTier)
      if (f.passed)
        warnings.push(
          f.note
            ? msg.freeTierNotCoveredWarning(s.service, f.key, f.note)
            : msg.freeTierWarning(s.service, f.key, f.usage, f.allowance, f.unit, f.term),
        );
  return {
    id: 'cost',
    title: msg.title(region),
    lines,
    warnings,
    data: {
      ...(estimateJson(estimate) as Record<string, never>),
      pricesFile: loaded?.path ?? null,
      stale: loaded ? ageInDays(loaded.file, input.now) > STALE_AFTER_DAYS : null,
    },
  };
}

function render(e: CostEstimate): string[] {
  const out: string[] = [];
  for (const s of e.services)
    for (const l of s.lines)
      out.push(msg.line(s.service, l.what, l.quantity, l.unit, l.monthlyUsd, l.oneOffUsd));
  out.push(
    msg.total(
      e.monthlyUsd,
      e.oneOffUsd,
      e.services.filter((s) => s.monthlyUsd === null).map((s) => s.service),
    ),
  );
  for (const s of e.services)
    for (const f of s.freeTier) {
      if (f.usage === null) out.push(msg.freeTierUnknown(f.key, f.allowance, f.unit));
      else if (f.passed && f.note) out.push(msg.freeTierNotCovered(f.key, f.note, f.term));
      else if (f.passed) out.push(msg.freeTierPassed(f.key, f.usage, f.allowance, f.unit, f.term));
      else out.push(msg.freeTierWithin(f.key, f.usage, f.allowance, f.unit, f.term));
    }
  for (const s of e.services) for (const u of s.unknown) out.push(msg.unknown(s.service, u));
  for (const c of e.cheaper)
    out.push(msg.cheaper(c.service, c.what, c.monthlySavingUsd, c.oneOffSavingUsd, c.caveat));
  return out;
}

export const costComponent: ComponentModule = {
  name: 'cost',
  steps: [],
  planReport: costReport,
};
