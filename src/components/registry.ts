import type { Step } from '../core/step.js';
import { authPool } from './auth/auth-pool.js';
import { authUsersStep } from './auth/auth-users.js';
import { dbCopyStep } from './db/db-copy.js';
import { dbSchemaStep } from './db/db-schema.js';
import { filesBucket } from './files/files-bucket.js';
import { filesCopy } from './files/files-copy.js';
import { flagsStore } from './flags/flags-store.js';
import { hostingAppStep } from './hosting/hosting-app.js';
import { hostingDomainStep } from './hosting/hosting-domain.js';
import { hostingEnvStep } from './hosting/hosting-env.js';
import { vectorsCopyStep } from './vectors/vectors-copy.js';
import { vectorsTableStep } from './vectors/vectors-table.js';

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
