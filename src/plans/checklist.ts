import { authPool } from './steps/auth-pool.js';
import { filesBucket } from './steps/files-bucket.js';
import { flagsStore } from './steps/flags-store.js';
import type { Step } from './types.js';

// The checklist: every step of every phase, in the order a person reads them.
export const checklist: Step[] = [authPool, filesBucket, flagsStore];
