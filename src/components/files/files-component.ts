import type { ComponentModule } from '../../core/component.js';
import { messages } from '../../core/messages.js';
import { filesBucket } from './files-bucket.js';
import { filesCopy } from './files-copy.js';
import { filesForwardPass, filesReversePass } from './files-passes.js';

export const filesComponent: ComponentModule = {
  name: 'files',
  steps: [filesBucket, filesCopy],
  notCarriedBack: messages.cutover.filesNotCarried,
  passes: { after: 'files.copy', forward: filesForwardPass, reverse: filesReversePass },
};
