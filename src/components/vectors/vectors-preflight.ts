import type { Config } from '../../config/schema.js';
import type { Endpoint, PreflightFindings } from '../../core/component.js';
import { EngifyError } from '../../core/errors.js';
import { messages } from '../../core/messages.js';
import { olderThan, QDRANT_MIN_VERSION, qdrantServerVersion } from '../../providers/qdrant/qdrant-client.js';

// What the vectors component checks before anything runs: Qdrant answers, and is recent enough for
// what verify asks of it (random sampling).

const hostOf = (raw: string) => {
  try {
    return new URL(raw).host;
  } catch {
    return raw;
  }
};

export function vectorsEndpoints(config: Config): Endpoint[] {
  return config.source.qdrant ? [{ path: 'source.qdrant.url', url: config.source.qdrant.url }] : [];
}

/** A Qdrant source too old for verify: an error; a version that cannot be read: a warning. */
export async function vectorsPreflightAfter(config: Config): Promise<PreflightFindings> {
  const qdrant = config.source.qdrant;
  if (!qdrant) return { errors: [], warnings: [] };
  const host = hostOf(qdrant.url);
  let version: string | undefined;
  try {
    version = await qdrantServerVersion(qdrant);
  } catch {
    version = undefined;
  }
  if (version === undefined)
    return {
      errors: [],
      warnings: [messages.config.qdrantVersionUnknown('source.qdrant.url', host, QDRANT_MIN_VERSION)],
    };
  if (!olderThan(version, QDRANT_MIN_VERSION)) return { errors: [], warnings: [] };
  return {
    errors: [
      new EngifyError({
        code: 'QDRANT_TOO_OLD',
        kind: 'config',
        message: messages.config.qdrantTooOld('source.qdrant.url', host, version, QDRANT_MIN_VERSION),
        hint: messages.config.qdrantTooOldHint(QDRANT_MIN_VERSION),
      }),
    ],
    warnings: [],
  };
}
