import { describe, expect, it } from 'vitest';
import { Redactor } from '../../../src/config/redact.js';
import { EngifyError } from '../../../src/core/errors.js';
import { parseConfig } from '../../../src/core/load-config.js';

const base = {
  project: 'demo',
  source: {
    supabase: { dbUrl: 'postgres://app:${PGPASS}@db.example.com:5432/postgres', serviceRoleKey: '${SRK}' },
  },
  target: { aws: { region: 'eu-west-1' }, s3: { bucket: 'demo-files' } },
};

describe('config loading', () => {
  it('interpolates ${VAR}, applies defaults and collects secrets', () => {
    const loaded = parseConfig(JSON.stringify(base), '/x/migrations.config.json', {
      PGPASS: 'p@ss word',
      SRK: 'service-key-1',
    });
    expect(loaded.config.source.supabase?.schemas).toEqual(['public']);
    expect(loaded.config.flags).toEqual({ store: 'file', path: '/x/.engify/flags.json' });
    expect(loaded.stateDir).toBe('/x/.engify');
    const line = `connecting to ${loaded.config.source.supabase?.dbUrl} with service-key-1`;
    expect(loaded.redactor.redact(line)).not.toMatch(/p@ss word|service-key-1/);
  });

  it('reports every missing variable with its path', () => {
    try {
      parseConfig(JSON.stringify(base), '/x/c.json', {});
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(EngifyError);
      expect((e as EngifyError).message).toContain(
        'source.supabase.dbUrl: environment variable PGPASS is not set',
      );
      expect((e as EngifyError).message).toContain(
        'source.supabase.serviceRoleKey: environment variable SRK is not set',
      );
      expect((e as EngifyError).kind).toBe('config');
    }
  });

  it('says a variable that is set but empty is empty, not that it is not set', () => {
    try {
      parseConfig(JSON.stringify(base), '/x/c.json', { PGPASS: '', SRK: 'y' });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(EngifyError);
      expect((e as EngifyError).message).toContain(
        'source.supabase.dbUrl: environment variable PGPASS is empty',
      );
      expect((e as EngifyError).message).not.toContain('not set');
      expect((e as EngifyError).hint).toContain('PGPASS');
      expect((e as EngifyError).hint).toContain('value');
    }
  });

  it('keeps $${ as a literal', () => {
    const c = { ...base, project: 'demo', target: { ...base.target, amplify: { appName: 'a$${b}' } } };
    const loaded = parseConfig(JSON.stringify(c), '/x/c.json', { PGPASS: 'x', SRK: 'y' });
    expect(loaded.config.target.amplify?.appName).toBe('a${b}');
  });

  it('never echoes a secret value in a validation error', () => {
    const c = { ...base, source: { supabase: { dbUrl: 'not a url ${SRK}' } } };
    try {
      parseConfig(JSON.stringify(c), '/x/c.json', { SRK: 'service-key-1' });
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message).toContain('source.supabase.dbUrl');
      expect((e as Error).message).not.toContain('service-key-1');
    }
  });
});

describe('redactor', () => {
  it('masks URL credentials even when they did not come from the config', () => {
    const r = new Redactor();
    expect(r.redact('connect postgres://u:pw123@h:5432/db failed')).toBe(
      'connect postgres://u:[redacted]@h:5432/db failed',
    );
  });
});
