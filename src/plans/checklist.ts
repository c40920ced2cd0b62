import type { Step } from './types.js';

// The checklist: every step of every phase, in the order a person reads them.
export const checklist: Step[] = [];
