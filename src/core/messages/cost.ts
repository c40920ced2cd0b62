// User-facing text of the cost estimate in `plan`. Re-exported through src/core/messages.ts as messages.cost.

const usd = (n: number) => (n >= 100 ? `$${n.toFixed(0)}` : n >= 1 ? `$${n.toFixed(2)}` : `$${n.toFixed(4)}`);
const qty = (n: number | null) => (n === null ? '?' : n.toLocaleString('en-US'));

const n = (x: number) => x.toLocaleString('en-US');

export const costMessages = {
  /** What each line of the estimate is about. */
  lines: {
    classNotPriced: (cls: string) =>
      `instance class ${cls} is not in the price file (set cost.rdsInstanceClass)`,
    rdsInstance: (cls: string) => `instance ${cls}, Single-AZ`,
    rdsStorage: (rows: number, gib: number) =>
      `storage for ${n(rows)} rows (${gib.toFixed(2)} GiB of tables and indexes measured)`,
    vectorItems: (points: number) => `${n(points)} vector item(s), vector as a list of numbers`,
    vectorWrites: 'the copy: BatchWriteItem (on-demand write request units)',
    vectorIndexUnpriced: 'vector index storage and SearchVectors reads (not in the price file)',
    bulkImportUnpriced:
      'bulk import from S3 (StartBulkPutItems) is priced as a DynamoDB import, which is not in the price file: the write units shown are what BatchWriteItem would use',
    binaryVectors: (binaryGb: number, listGb: number, binaryUnits: number, listUnits: number) =>
      `vectors as binary float32 (${binaryGb} GB instead of ${listGb} GB, ${n(binaryUnits)} write units instead of ${n(listUnits)})`,
    binaryCaveat:
      'a DynamoDB vector index reads a list of numbers (SearchVectors), so binary vectors cannot be searched there; it suits storage-only or search elsewhere',
    s3Objects: (objects: number) => `${n(objects)} object(s), S3 Standard`,
    s3Puts: 'the copy: PUT requests (multipart parts included)',
    cognitoUsers: (users: number, mau: number) =>
      `${n(users)} user(s), ${n(mau)} signed in within 30 days (MAU, Essentials plan)`,
    cognitoCalls:
      'the copy: Cognito API calls (not billed per call; they count against the request-rate quota)',
    requestsUnknown:
      'request volume unknown: set cost.backendRequestsPerMonth (from the Render dashboard) to price it',
    lambdaRequests: 'requests (duration, billed per GB-second, is not estimated)',
    lambdaDuration: 'duration (GB-seconds) depends on memory and run time',
    httpRequests: 'HTTP API requests',
    buildMinutes: 'build minutes (Standard build instance)',
    buildMinutesUnknown:
      'build minutes unknown: set cost.buildMinutesPerMonth (builds a month x minutes a build)',
  },
  title: (region: string) => `Cost and free tier (${region}, list prices in USD)`,
  dated: (checkedOn: string, path: string) =>
    `prices as checked on ${checkedOn} (${path}); prices change: check each figure's source before relying on it`,
  conventions:
    'a month is 730 hours, a GB is 2^30 bytes; monthly costs are after the always-free allowances; 12-month offers (accounts created before 2025-07-15) are flagged, not deducted',
  noPrices: (region: string, dir: string) =>
    `No price file for region ${region} (looked in ${dir}): the cost estimate shows usage and free-tier limits without prices.`,
  noPricesLine: (region: string) =>
    `no price file for ${region}: usage only (set cost.pricesFile to a file of your own)`,
  stale: (path: string, checkedOn: string, days: number) =>
    `The price file ${path} was checked on ${checkedOn}, ${days} days ago (more than a year): its prices are likely out of date. Check the sources it names and update it, or set cost.pricesFile to a current one.`,
  line: (
    service: string,
    what: string,
    quantity: number | null,
    unit: string,
    monthly: number | null,
    once: number,
  ) =>
    `${service.padEnd(10)} ${what}: ${qty(quantity)} ${unit}; ${
      monthly === null
        ? 'monthly ? (unknown)'
        : monthly === 0 && once > 0
          ? `${usd(once)} once (the copy)`
          : monthly === 0
            ? 'no charge'
            : `${usd(monthly)}/month${once > 0 ? `, ${usd(once)} once (the copy)` : ''}`
    }`,
  total: (monthly: number, once: number, unknownServices: string[]) =>
    `total: ${usd(monthly)}/month${unknownServices.length > 0 ? ` plus what is unknown for ${unknownServices.join(', ')}` : ''}; ${usd(once)} once for the copy's own requests`,
  freeTierPassed: (key: string, usage: number | null, allowance: number, unit: string, term: string) =>
    `free tier passed: ${key} ${qty(usage)} over ${qty(allowance)} ${unit} (${term === 'always' ? 'always free' : '12-month offer'})`,
  freeTierWithin: (key: string, usage: number | null, allowance: number, unit: string, term: string) =>
    `free tier within: ${key} ${qty(usage)} of ${qty(allowance)} ${unit} (${term === 'always' ? 'always free' : '12-month offer'})`,
  freeTierNotCovered: (key: string, note: string, term: string) =>
    `free tier not covered: ${key}: ${note} (${term === 'always' ? 'always free' : '12-month offer'})`,
  freeTierNotCoveredWarning: (service: string, key: string, note: string) =>
    `${service}: the free-tier offer ${key} does not apply: ${note}.`,
  freeTierUnknown: (key: string, allowance: number, unit: string) =>
    `free tier unknown: ${key} allowance ${qty(allowance)} ${unit}, usage not known`,
  freeTierWarning: (
    service: string,
    key: string,
    usage: number | null,
    allowance: number,
    unit: string,
    term: string,
  ) =>
    `${service}: this migration passes the ${term === 'always' ? 'always-free' : '12-month free-tier'} limit ${key} (${qty(usage)} over ${qty(allowance)} ${unit}).`,
  unknown: (service: string, why: string) => `unknown: ${service}: ${why}`,
  cheaper: (service: string, what: string, monthly: number, once: number, caveat: string) =>
    `cheaper: ${service}: ${what}: saves ${usd(monthly)}/month and ${usd(once)} on the copy; but ${caveat}`,
  pricesMissing: (path: string) => `cost.pricesFile names ${path}, which does not exist.`,
  pricesMalformed: (path: string, detail: string) => `The price file ${path} is not valid JSON: ${detail}.`,
  pricesInvalid: (path: string, issue: string) => `The price file ${path} is not a price file: ${issue}.`,
  pricesHint:
    'Fix cost.pricesFile (or remove it to use the bundled prices/<region>.json); a price file has the shape of prices/us-east-1.json in the package.',
};
