import type { ComponentModule } from '../../core/component.js';
import { messages } from '../../core/messages.js';
import { userPathReport } from '../path-report.js';
import { authForwardPass, authReversePass } from './auth-passes.js';
import { authPool } from './auth-pool.js';
import { authUsersStep } from './auth-users.js';

export const authComponent: ComponentModule = {
  name: 'auth',
  planReport: userPathReport,
  steps: [authPool, authUsersStep],
  notCarriedBack: messages.cutover.authNotCarried,
  endpoints: (config) =>
    config.source.supabase?.apiUrl
      ? [{ path: 'source.supabase.apiUrl', url: config.source.supabase.apiUrl }]
      : [],
  passes: { after: 'auth.users', forward: authForwardPass, reverse: authReversePass },
};
