import type { ComponentModule } from '../../core/component.js';
import { messages } from '../../core/messages.js';
import { dbPathReport } from '../path-report.js';
import { dbCopyStep } from './db-copy.js';
import { dbInstanceStep } from './db-instance.js';
import { dbEndpoints, dbPreflightBefore } from './db-preflight.js';
import { dbSchemaStep } from './db-schema.js';
import { carrySequences, dbCutover } from './sync/db-cutover.js';
import { openDbSync } from './sync/db-sync.js';

export const dbComponent: ComponentModule = {
  name: 'db',
  planReport: dbPathReport,
  steps: [dbInstanceStep, dbSchemaStep, dbCopyStep],
  notCarriedBack: messages.cutover.dbNotCarried,
  endpoints: dbEndpoints,
  preflight: { before: dbPreflightBefore },
  stream: {
    after: 'db.copy',
    open: openDbSync,
    // Rows come over by the stream, sequence positions do not.
    followUp: carrySequences,
    cutover: dbCutover,
  },
};
