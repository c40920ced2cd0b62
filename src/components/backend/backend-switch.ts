import type { TrafficSwitch } from '../../core/component.js';
import { EngifyError } from '../../core/errors.js';
import { messages } from '../../core/messages.js';
import type { StepContext } from '../../core/step.js';
import { amplifyOps } from '../../providers/amplify/app.js';
import { frontendSource } from '../hosting/hosting-shared.js';
import { apiUrlOutput, backendConfig } from './backend-shared.js';

// cutover --component backend: the frontend's API base URL variable on the Amplify app points at the
// gateway (`target`) or back at the Render service's URL as the frontend had it (`source`). Both
// backends run side by side until then. The variable and value are journaled under cutover.backend,
// where hosting.env's parity check reads them (the value is a public URL, not a secret).

const m = messages.backend;

/** Frontend variables that usually hold the API base URL, most specific first. */
export const API_URL_VARIABLES = [
  'VITE_API_URL',
  'NEXT_PUBLIC_API_URL',
  'NEXT_PUBLIC_API_BASE_URL',
  'REACT_APP_API_URL',
  'NUXT_PUBLIC_API_URL',
  'PUBLIC_API_URL',
  'VITE_API_BASE_URL',
  'API_URL',
  'API_BASE_URL',
  'BACKEND_URL',
];

async function variable(ctx: StepContext): Promise<{ key: string; sourceValue: string }> {
  const vars = await frontendSource(ctx).envVars();
  const configured = backendConfig(ctx).frontendApiVariable;
  const found = configured
    ? vars.find((v) => v.key === configured)
    : API_URL_VARIABLES.map((k) => vars.find((v) => v.key === k)).find((v) => v !== undefined);
  if (!found || found.value === undefined)
    throw new EngifyError({
      code: 'BACKEND_API_VARIABLE',
      kind: 'config',
      message: m.apiUrlUnknown,
      hint: m.apiUrlUnknownHint,
    });
  return { key: found.key, sourceValue: found.value };
}

export const backendSwitch: TrafficSwitch = {
  async point(ctx, to) {
    const appId = ctx.journal.outputOf('hosting.app', 'appId');
    if (typeof appId !== 'string')
      throw new EngifyError({
        code: 'BACKEND_NO_FRONTEND',
        kind: 'config',
        message: m.noAmplifyApp,
        hint: m.noAmplifyAppHint,
      });
    const { key, sourceValue } = await variable(ctx);
    const url = to === 'target' ? apiUrlOutput(ctx) : sourceValue;
    if (!url)
      throw new EngifyError({
        code: 'BACKEND_FUNCTION_MISSING',
        kind: 'config',
        message: m.notMigrated(['backend.api']),
        hint: 'Run `engify-migrate apply --phase 3`.',
      });
    const amplify = await amplifyOps(await ctx.services.amplify());
    const app = await amplify.getApp(appId);
    if (!app)
      throw new EngifyError({
        code: 'BACKEND_NO_FRONTEND',
        kind: 'config',
        message: m.noAmplifyApp,
        hint: m.noAmplifyAppHint,
      });
    const env = { ...(app.environmentVariables ?? {}) };
    if (env[key] !== url) await amplify.updateApp(appId, { environmentVariables: { ...env, [key]: url } });
    ctx.journal.output('frontendVariable', key);
    ctx.journal.output('frontendValue', url);
    return m.switched(key, url);
  },
};
