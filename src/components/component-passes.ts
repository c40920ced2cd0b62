import type { ComponentPass } from '../core/sync-contracts.js';
import type { FlagComponent } from '../flags/modes.js';
import { authForwardPass, authReversePass } from './auth/auth-passes.js';
import { filesForwardPass, filesReversePass } from './files/files-passes.js';
import { vectorsForwardPass, vectorsReversePass } from './vectors/vectors-passes.js';

// Components kept in step by periodic passes rather than a change stream: which passes, and which
// copy step must have succeeded before they make sense. `sync` runs forward passes while a
// component's flag is `source` and reverse passes while it is `target`; cutover runs one forward pass
// as its final catch-up and a rollback runs one reverse pass as its drain.

export interface PassPair {
  /** The copy step whose success the passes build on. */
  after: string;
  forward: ComponentPass;
  reverse: ComponentPass;
}

export const COMPONENT_PASSES: Partial<Record<FlagComponent, PassPair>> = {
  auth: { after: 'auth.users', forward: authForwardPass, reverse: authReversePass },
  files: { after: 'files.copy', forward: filesForwardPass, reverse: filesReversePass },
  vectors: { after: 'vectors.copy', forward: vectorsForwardPass, reverse: vectorsReversePass },
};
