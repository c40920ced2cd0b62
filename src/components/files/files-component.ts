import type { ComponentModule } from '../../core/component.js';
import { messages } from '../../core/messages.js';
import { filesBucket } from './files-bucket.js';
import { filesCopy } from './files-copy.js';
import { filesForwardPass, filesReversePass } from './files-passes.js';

export const filesComponent: ComponentModule = {
  name: 'files',
  steps: [filesBucket, filesCopy],
  notCarriedBack: messages.cutover.filesNotCarried,
  endpoints: (config) => {
    const s = config.source.supabase;
    return [
      ...(s?.apiUrl ? [{ path: 'source.supabase.apiUrl', url: s.apiUrl }] : []),
      ...(s?.storage?.s3Endpoint
        ? [{ path: 'source.supabase.storage.s3Endpoint', url: s.storage.s3Endpoint }]
        : []),
    ];
  },
  passes: { after: 'files.copy', forward: filesForwardPass, reverse: filesReversePass },
};
