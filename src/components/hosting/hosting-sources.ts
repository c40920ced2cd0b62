import type { Config } from '../../config/schema.js';
import type { HostingSource } from '../../core/hosting-source.js';
import { createRailwaySource } from '../../providers/railway/railway-source.js';
import { createRenderSource } from '../../providers/render/render-source.js';
import { createVercelSource } from '../../providers/vercel/vercel-source.js';

// The hosting sources the hosting steps can read, first match wins: adding one (Railway, Netlify) is a
// provider under providers/ plus one line here. A source that can host a backend service is also asked
// for the backend when another source is the frontend, or when its own service is not a static site.

export type HostingRole = 'frontend' | 'backend';

export interface HostingSourceEntry {
  /** Its config section, source.<key>. */
  key: string;
  roles: readonly HostingRole[];
  /** The client when the config has this source's section, else undefined. */
  open(config: Config, options: { signal?: AbortSignal }): HostingSource | undefined;
}

export const HOSTING_SOURCES: readonly HostingSourceEntry[] = [
  {
    key: 'vercel',
    roles: ['frontend'],
    open: (config, options) =>
      config.source.vercel ? createVercelSource(config.source.vercel, options) : undefined,
  },
  {
    key: 'render',
    roles: ['frontend', 'backend'],
    open: (config, options) =>
      config.source.render ? createRenderSource(config.source.render, options) : undefined,
  },
  {
    key: 'railway',
    roles: ['frontend', 'backend'],
    // A reference to another service is no problem when envMapping drops the key or sets its value.
    open: (c, o) =>
      c.source.railway &&
      createRailwaySource(c.source.railway, {
        ...o,
        mappedKeys: Object.entries(c.target.amplify?.envMapping ?? {})
          .filter(([key, rule]) => rule.drop || key in rule.set)
          .map(([key]) => key),
      }),
  },
];

export function configuredHostingSources(
  config: Config,
  options: { signal?: AbortSignal } = {},
): { entry: HostingSourceEntry; source: HostingSource }[] {
  return HOSTING_SOURCES.flatMap((entry) => {
    const source = entry.open(config, options);
    return source ? [{ entry, source }] : [];
  });
}
