import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { EngifyError } from '../../core/errors.js';
import { messages } from '../../core/messages.js';

// The price file of a region: list prices and free-tier limits, each figure with the page it comes
// from and where it was read, and the date it was checked. One file per region under prices/ at the
// package root (shipped with the package), or a file of the user's own (cost.pricesFile).

const figure = z.object({
  value: z.number().nonnegative(),
  unit: z.string(),
  source: z.string().url(),
  seenIn: z.string(),
});

const priceFileSchema = z.object({
  format: z.literal('engify-migrate/prices@1'),
  region: z.string(),
  currency: z.literal('USD'),
  checkedOn: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { message: 'expected a date YYYY-MM-DD' }),
  note: z.string(),
  freeTierNote: z.string(),
  prices: z.object({
    'dynamodb.storageGbMonth': figure,
    'dynamodb.writeRequestUnitsPerMillion': figure,
    's3.storageGbMonth': figure,
    's3.putRequestsPerThousand': figure,
    'rds.storageGbMonth': figure,
    'rds.instanceHour': figure.extend({ value: z.record(z.string(), z.number().nonnegative()) }),
    'cognito.mauEssentials': figure,
    'lambda.requestsPerMillion': figure,
    'apigateway.httpRequestsPerMillion': figure,
    'amplify.buildMinute': figure,
  }),
  freeTier: z.object({
    'dynamodb.storageGb': figure.extend({ term: z.enum(['always', '12-months']) }),
    's3.storageGb': figure.extend({ term: z.enum(['always', '12-months']) }),
    's3.putRequests': figure.extend({ term: z.enum(['always', '12-months']) }),
    'rds.instanceHours': figure.extend({
      term: z.enum(['always', '12-months']),
      appliesTo: z.array(z.string()),
    }),
    'rds.storageGb': figure.extend({ term: z.enum(['always', '12-months']) }),
    'cognito.mau': figure.extend({ term: z.enum(['always', '12-months']) }),
    'lambda.requests': figure.extend({ term: z.enum(['always', '12-months']) }),
    'apigateway.httpRequests': figure.extend({ term: z.enum(['always', '12-months']) }),
    'amplify.buildMinutes': figure.extend({ term: z.enum(['always', '12-months']) }),
  }),
});

export type PriceFile = z.infer<typeof priceFileSchema>;
export type FreeTierKey = keyof PriceFile['freeTier'];

/** A price file older than this gets a warning in the plan. */
export const STALE_AFTER_DAYS = 365;

/** prices/ at the package root: three folders above this file, in src/ as in dist/. */
export function bundledPricesDir(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'prices');
}

export interface LoadedPrices {
  file: PriceFile;
  path: string;
}

/**
 * The price file for `region`: the user's own when the config names one, else the bundled one, else
 * undefined (a region without a bundled file: the estimate then states usage and free-tier limits only).
 */
export function loadPrices(
  region: string,
  options: { pricesFile?: string; configDir: string; dir?: string },
): LoadedPrices | undefined {
  const own = options.pricesFile;
  const path = own
    ? isAbsolute(own)
      ? own
      : resolve(options.configDir, own)
    : join(options.dir ?? bundledPricesDir(), `${region}.json`);
  if (!existsSync(path)) {
    if (!own) return undefined;
    throw new EngifyError({
      code: 'PRICES_UNREADABLE',
      kind: 'config',
      message: messages.cost.pricesMissing(path),
      hint: messages.cost.pricesHint,
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new EngifyError({
      code: 'PRICES_UNREADABLE',
      kind: 'config',
      message: messages.cost.pricesMalformed(path, error instanceof Error ? error.message : String(error)),
      hint: messages.cost.pricesHint,
    });
  }
  const checked = priceFileSchema.safeParse(parsed);
  if (!checked.success) {
    const first = checked.error.issues[0];
    throw new EngifyError({
      code: 'PRICES_UNREADABLE',
      kind: 'config',
      message: messages.cost.pricesInvalid(path, first ? `${first.path.join('.')}: ${first.message}` : '?'),
      hint: messages.cost.pricesHint,
    });
  }
  return { file: checked.data, path };
}

/** Whole days from the file's checkedOn date to `now`. */
export function ageInDays(file: PriceFile, now: Date): number {
  const checked = Date.parse(`${file.checkedOn}T00:00:00Z`);
  return Math.floor((now.getTime() - checked) / 86_400_000);
}
