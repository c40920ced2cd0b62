import type { ComponentModule } from '../../core/component.js';
import { messages } from '../../core/messages.js';
import { vectorPathReport } from '../path-report.js';
import { vectorsCopyStep } from './vectors-copy.js';
import { vectorsForwardPass, vectorsReversePass } from './vectors-passes.js';
import { vectorsEndpoints, vectorsPreflightAfter } from './vectors-preflight.js';
import { vectorsTableStep } from './vectors-table.js';

export const vectorsComponent: ComponentModule = {
  name: 'vectors',
  planReport: vectorPathReport,
  steps: [vectorsTableStep, vectorsCopyStep],
  notCarriedBack: messages.cutover.vectorsNotCarried,
  endpoints: vectorsEndpoints,
  preflight: { after: vectorsPreflightAfter },
  passes: { after: 'vectors.copy', forward: vectorsForwardPass, reverse: vectorsReversePass },
};
