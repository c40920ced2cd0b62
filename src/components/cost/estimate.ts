import type { Json } from '../../core/contracts.js';
import type { Measure } from '../../core/measure.js';
import { messages } from '../../core/messages.js';
import type { FreeTierKey, PriceFile } from './prices.js';

const w = messages.cost.lines;

// The estimator: from what the plan measured (rows and bytes, users and their sign-ins, points and
// their encoded size, objects, the copy's own requests) and a region's price file, what each target
// service will hold, what it costs a month, what the copy itself costs once, and which free-tier
// limits that passes. Pure: no I/O, so a test can check it against a hand computation.
//
// Conventions (said in the plan too): a month is 730 hours (AWS's own convention in its calculators);
// a GB is 2^30 bytes; DynamoDB item sizes follow its documented rules (the codec's itemSize) plus the
// 100 bytes of per-item storage overhead; a monthly cost is after the "always free" allowances, which
// every account has, while the 12-month offers (accounts before 2025-07-15) are flagged, not deducted.

export const HOURS_PER_MONTH = 730;
export const GIB = 1024 ** 3;
/** Storage overhead DynamoDB bills per item for indexing (CapacityUnitCalculations). */
export const DYNAMODB_ITEM_OVERHEAD = 100;
/** A standard write request unit writes up to 1 KB. */
export const WRITE_UNIT_BYTES = 1024;
/**
 * With no point to sample: a float32 needs at most 9 significant digits, so a number in the list is at
 * most 1 + ceil(9/2) = 6 bytes, plus 1 byte as a list element; the keys and bookkeeping attributes of
 * an item (pk, sk, collection, point_id, payload, content_hash, migrated_by) are taken as 200 bytes.
 */
export const UNSAMPLED_BYTES_PER_DIMENSION = 7;
export const UNSAMPLED_ITEM_OTHER_BYTES = 200;

export type Service = 'rds' | 'dynamodb' | 's3' | 'cognito' | 'lambda' | 'apigateway' | 'amplify';

export interface EstimateLine {
  what: string;
  quantity: number | null;
  unit: string;
  /** Monthly cost of this line, after always-free allowances; null: not known. */
  monthlyUsd: number | null;
  /** Cost the copy itself adds once (its own requests). */
  oneOffUsd: number;
}

export interface FreeTierFlag {
  key: FreeTierKey;
  allowance: number;
  usage: number | null;
  unit: string;
  term: 'always' | '12-months';
  /** The migration or its first month passes the allowance. */
  passed: boolean;
  /** Why, when the usage alone does not say (e.g. an instance class the offer does not cover). */
  note?: string;
}

export interface ServiceEstimate {
  service: Service;
  lines: EstimateLine[];
  monthlyUsd: number | null;
  oneOffUsd: number;
  freeTier: FreeTierFlag[];
  /** What could not be estimated, and why. */
  unknown: string[];
}

export interface CheaperLayout {
  service: Service;
  what: string;
  monthlySavingUsd: number;
  oneOffSavingUsd: number;
  caveat: string;
}

export interface CostEstimate {
  region: string;
  pricesCheckedOn: string | null;
  services: ServiceEstimate[];
  /** Sum of the known monthly costs (a service with an unknown part counts its known lines). */
  monthlyUsd: number;
  oneOffUsd: number;
  cheaper: CheaperLayout[];
}

export interface EstimateInput {
  region: string;
  prices: PriceFile | undefined;
  measures: readonly Measure[];
  settings: {
    rdsInstanceClass: string;
    rdsStorageGb?: number;
    backendRequestsPerMonth?: number;
    buildMinutesPerMonth?: number;
  };
  /** Which target services the config names (an estimate covers only those). */
  targets: {
    rds: boolean;
    dynamodb: boolean;
    s3: boolean;
    cognito: boolean;
    backend: boolean;
    amplify: boolean;
  };
}

const money = (n: number) => Math.round(n * 1e6) / 1e6;

export function estimateCost(input: EstimateInput): CostEstimate {
  const { prices: p, measures, targets } = input;
  const services: ServiceEstimate[] = [];
  const cheaper: CheaperLayout[] = [];
  const of = <K extends Measure['kind']>(kind: K) =>
    measures.filter((m): m is Extract<Measure, { kind: K }> => m.kind === kind);
  const flag = (key: FreeTierKey, usage: number | null, passed?: boolean, note?: string): FreeTierFlag[] => {
    const f = p?.freeTier[key];
    if (!f) return [];
    return [
      {
        key,
        allowance: f.value,
        usage,
        unit: f.unit,
        term: f.term,
        passed: passed ?? (usage !== null && usage > f.value),
        ...(note ? { note } : {}),
      },
    ];
  };
  /** Usage beyond an allowance that every account has ("always"); 12-month ones are not deducted. */
  const beyondAlwaysFree = (key: FreeTierKey, usage: number) => {
    const f = p?.freeTier[key];
    return f && f.term === 'always' ? Math.max(0, usage - f.value) : usage;
  };

  if (targets.rds) {
    const db = of('db');
    const bytes = db.reduce((n, m) => n + m.bytes + m.indexBytes, 0);
    const rows = db.reduce((n, m) => n + m.rows, 0);
    const storageGb = input.settings.rdsStorageGb ?? Math.max(20, Math.ceil(bytes / GIB));
    const cls = input.settings.rdsInstanceClass;
    const hourly = p?.prices['rds.instanceHour'].value[cls];
    const unknown: string[] = [];
    if (p && hourly === undefined) unknown.push(w.classNotPriced(cls));
    const lines: EstimateLine[] = [
      {
        what: w.rdsInstance(cls),
        quantity: HOURS_PER_MONTH,
        unit: 'instance-hours',
        monthlyUsd: p && hourly !== undefined ? money(HOURS_PER_MONTH * hourly) : null,
        oneOffUsd: 0,
      },
      {
        what: w.rdsStorage(rows, bytes / GIB),
        quantity: storageGb,
        unit: 'GB-month',
        monthlyUsd: p ? money(storageGb * p.prices['rds.storageGbMonth'].value) : null,
        oneOffUsd: 0,
      },
    ];
    const eligible = p?.freeTier['rds.instanceHours'].appliesTo.includes(cls) ?? false;
    services.push(
      service('rds', lines, unknown, [
        ...flag(
          'rds.instanceHours',
          HOURS_PER_MONTH,
          !eligible,
          eligible ? undefined : `${cls} is not one of the classes the offer covers`,
        ),
        ...flag('rds.storageGb', storageGb),
      ]),
    );
  }

  if (targets.dynamodb) {
    const vectors = of('vectors');
    let storageBytes = 0;
    let writeUnits = 0;
    let binaryStorageBytes = 0;
    let binaryWriteUnits = 0;
    for (const v of vectors) {
      const vectorBytes =
        v.avgVectorBytes ?? v.vectorAttribute.length + 3 + v.dimensions * UNSAMPLED_BYTES_PER_DIMENSION;
      const itemBytes = v.avgItemBytes ?? vectorBytes + UNSAMPLED_ITEM_OTHER_BYTES;
      // The same item with the vector as one binary value of float32s: name + 4 bytes a dimension.
      const binaryItemBytes = itemBytes - vectorBytes + v.vectorAttribute.length + 4 * v.dimensions;
      storageBytes += v.points * (itemBytes + DYNAMODB_ITEM_OVERHEAD);
      writeUnits += v.points * Math.ceil(itemBytes / WRITE_UNIT_BYTES);
      binaryStorageBytes += v.points * (binaryItemBytes + DYNAMODB_ITEM_OVERHEAD);
      binaryWriteUnits += v.points * Math.ceil(binaryItemBytes / WRITE_UNIT_BYTES);
    }
    const points = vectors.reduce((n, v) => n + v.points, 0);
    const storageGb = storageBytes / GIB;
    const storageCost = (gb: number) =>
      p ? money(beyondAlwaysFree('dynamodb.storageGb', gb) * p.prices['dynamodb.storageGbMonth'].value) : 0;
    const writeCost = (units: number) =>
      p ? money((units / 1e6) * p.prices['dynamodb.writeRequestUnitsPerMillion'].value) : 0;
    const lines: EstimateLine[] = [
      {
        what: w.vectorItems(points),
        quantity: round2(storageGb),
        unit: 'GB-month',
        monthlyUsd: p ? storageCost(storageGb) : null,
        oneOffUsd: 0,
      },
      {
        what: w.vectorWrites,
        quantity: writeUnits,
        unit: 'write request units',
        monthlyUsd: 0,
        oneOffUsd: writeCost(writeUnits),
      },
    ];
    services.push(
      service(
        'dynamodb',
        lines,
        [
          ...(vectors.length > 0 ? [w.vectorIndexUnpriced] : []),
          ...(vectors.some((v) => v.copyPath === 'bulk-import') ? [w.bulkImportUnpriced] : []),
        ],
        flag('dynamodb.storageGb', round2(storageGb)),
      ),
    );
    if (p && points > 0 && binaryStorageBytes < storageBytes) {
      cheaper.push({
        service: 'dynamodb',
        what: w.binaryVectors(
          round2(binaryStorageBytes / GIB),
          round2(storageGb),
          binaryWriteUnits,
          writeUnits,
        ),
        monthlySavingUsd: money(storageCost(storageGb) - storageCost(binaryStorageBytes / GIB)),
        oneOffSavingUsd: money(writeCost(writeUnits) - writeCost(binaryWriteUnits)),
        caveat: w.binaryCaveat,
      });
    }
  }

  if (targets.s3) {
    const files = of('files');
    const bytes = files.reduce((n, f) => n + f.bytes, 0);
    const puts = files.reduce((n, f) => n + f.putRequests, 0);
    const objects = files.reduce((n, f) => n + f.objects, 0);
    const gb = bytes / GIB;
    const lines: EstimateLine[] = [
      {
        what: w.s3Objects(objects),
        quantity: round2(gb),
        unit: 'GB-month',
        monthlyUsd: p
          ? money(beyondAlwaysFree('s3.storageGb', gb) * p.prices['s3.storageGbMonth'].value)
          : null,
        oneOffUsd: 0,
      },
      {
        what: w.s3Puts,
        quantity: puts,
        unit: 'PUT requests',
        monthlyUsd: 0,
        oneOffUsd: p ? money((puts / 1000) * p.prices['s3.putRequestsPerThousand'].value) : 0,
      },
    ];
    services.push(
      service('s3', lines, [], [...flag('s3.storageGb', round2(gb)), ...flag('s3.putRequests', puts)]),
    );
  }

  if (targets.cognito) {
    const users = of('users');
    const mau = users.reduce((n, u) => n + u.activeLast30Days, 0);
    const total = users.reduce((n, u) => n + u.users, 0);
    const calls = users.reduce((n, u) => n + u.cognitoCalls, 0);
    const lines: EstimateLine[] = [
      {
        what: w.cognitoUsers(total, mau),
        quantity: mau,
        unit: 'MAU',
        monthlyUsd: p
          ? money(beyondAlwaysFree('cognito.mau', mau) * p.prices['cognito.mauEssentials'].value)
          : null,
        oneOffUsd: 0,
      },
      {
        what: w.cognitoCalls,
        quantity: calls,
        unit: 'calls',
        monthlyUsd: 0,
        oneOffUsd: 0,
      },
    ];
    services.push(service('cognito', lines, [], flag('cognito.mau', mau)));
  }

  if (targets.backend) {
    const r = input.settings.backendRequestsPerMonth;
    const unknownWhy = w.requestsUnknown;
    services.push(
      service(
        'lambda',
        [
          {
            what: w.lambdaRequests,
            quantity: r ?? null,
            unit: 'requests a month',
            monthlyUsd:
              r === undefined || !p
                ? null
                : money(
                    (beyondAlwaysFree('lambda.requests', r) / 1e6) *
                      p.prices['lambda.requestsPerMillion'].value,
                  ),
            oneOffUsd: 0,
          },
        ],
        r === undefined ? [unknownWhy] : [w.lambdaDuration],
        flag('lambda.requests', r ?? null),
      ),
      service(
        'apigateway',
        [
          {
            what: w.httpRequests,
            quantity: r ?? null,
            unit: 'requests a month',
            monthlyUsd:
              r === undefined || !p
                ? null
                : money((r / 1e6) * p.prices['apigateway.httpRequestsPerMillion'].value),
            oneOffUsd: 0,
          },
        ],
        r === undefined ? [unknownWhy] : [],
        flag('apigateway.httpRequests', r ?? null),
      ),
    );
  }

  if (targets.amplify) {
    const m = input.settings.buildMinutesPerMonth;
    services.push(
      service(
        'amplify',
        [
          {
            what: w.buildMinutes,
            quantity: m ?? null,
            unit: 'build minutes a month',
            monthlyUsd: m === undefined || !p ? null : money(m * p.prices['amplify.buildMinute'].value),
            oneOffUsd: 0,
          },
        ],
        m === undefined ? [w.buildMinutesUnknown] : [],
        flag('amplify.buildMinutes', m ?? null),
      ),
    );
  }

  return {
    region: input.region,
    pricesCheckedOn: p?.checkedOn ?? null,
    services,
    monthlyUsd: money(services.reduce((n, s) => n + (s.monthlyUsd ?? knownMonthly(s)), 0)),
    oneOffUsd: money(services.reduce((n, s) => n + s.oneOffUsd, 0)),
    cheaper,
  };
}

function service(
  name: Service,
  lines: EstimateLine[],
  unknown: string[],
  freeTier: FreeTierFlag[],
): ServiceEstimate {
  const known = lines.every((l) => l.monthlyUsd !== null);
  return {
    service: name,
    lines,
    monthlyUsd: known ? money(lines.reduce((n, l) => n + (l.monthlyUsd ?? 0), 0)) : null,
    oneOffUsd: money(lines.reduce((n, l) => n + l.oneOffUsd, 0)),
    freeTier,
    unknown,
  };
}

function knownMonthly(s: ServiceEstimate): number {
  return s.lines.reduce((n, l) => n + (l.monthlyUsd ?? 0), 0);
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

export function estimateJson(e: CostEstimate): Json {
  return JSON.parse(JSON.stringify(e)) as Json;
}
