import { authPool } from './steps/auth-pool.js';
import { authUsersStep } from './steps/auth-users.js';
import { dbCopyStep } from './steps/db-copy.js';
import { dbSchemaStep } from './steps/db-schema.js';
import { filesBucket } from './steps/files-bucket.js';
import { filesCopy } from './steps/files-copy.js';
import { flagsStore } from './steps/flags-store.js';
import { hostingAppStep } from './steps/hosting-app.js';
import { hostingDomainStep } from './steps/hosting-domain.js';
import { hostingEnvStep } from './steps/hosting-env.js';
import { vectorsCopyStep } from './steps/vectors-copy.js';
import { vectorsTableStep } from './steps/vectors-table.js';
import type { Step } from './types.js';

// The checklist: every step of every phase, in the order a person reads them.
export const checklist: Step[] = [
  // phase 1: infrastructure
  authPool,
  dbSchemaStep,
  vectorsTableStep,
  filesBucket,
  flagsStore,
  // phase 2: data
  dbCopyStep,
  authUsersStep,
  vectorsCopyStep,
  filesCopy,
  // phase 3: hosting
  hostingAppStep,
  hostingEnvStep,
  hostingDomainStep,
];
