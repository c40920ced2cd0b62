import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { awsRegion } from '../config/schema.js';
import { EngifyError, ExitCode } from '../core/errors.js';
import { parseConfig } from '../core/load-config.js';
import { messages } from '../core/messages.js';
import { type CommandIo, guarded } from './common.js';

// `engify-migrate init`: writes migrations.config.json. On a terminal it asks a few questions; off a
// terminal (or with --yes) it writes the same file from the flags' defaults. Secrets are never asked
// for: the file refers to environment variables (${VAR}) the user exports.

export interface InitOptions {
  project?: string;
  region?: string;
  yes?: boolean;
  force?: boolean;
}

interface Answers {
  project: string;
  region: string;
  qdrant: boolean;
  hosting: 'vercel' | 'render' | 'none';
  flags: 'file' | 'dynamodb';
}

export function initialConfig(a: Answers): Record<string, unknown> {
  const p = a.project;
  return {
    $schema: './node_modules/engify-migrate/schema/migrations.config.schema.json',
    project: p,
    source: {
      supabase: {
        dbUrl: '${SUPABASE_DB_URL}',
        apiUrl: '${SUPABASE_URL}',
        serviceRoleKey: '${SUPABASE_SERVICE_ROLE_KEY}',
        schemas: ['public'],
      },
      ...(a.qdrant
        ? { qdrant: { url: '${QDRANT_URL}', apiKey: '${QDRANT_API_KEY}', collections: ['*'] } }
        : {}),
      ...(a.hosting === 'vercel'
        ? { vercel: { token: '${VERCEL_TOKEN}', projectId: '${VERCEL_PROJECT_ID}' } }
        : {}),
      ...(a.hosting === 'render'
        ? { render: { apiKey: '${RENDER_API_KEY}', serviceId: '${RENDER_SERVICE_ID}' } }
        : {}),
    },
    target: {
      aws: { region: a.region },
      cognito: { userPoolName: `${p}-users`, appClientName: `${p}-web` },
      rds: { mode: 'pg', url: '${RDS_DATABASE_URL}', createDatabase: true },
      ...(a.qdrant ? { dynamodb: { vectorTable: `${p}-vectors` } } : {}),
      s3: { bucket: `${p}-files` },
      ...(a.hosting !== 'none' ? { amplify: { appName: `${p}-web`, branch: 'main' } } : {}),
    },
    flags:
      a.flags === 'file'
        ? { store: 'file', path: '.engify/flags.json' }
        : { store: 'dynamodb', table: `${p}-flags` },
  };
}

export async function initCommand(io: CommandIo, options: InitOptions): Promise<ExitCode> {
  return guarded(io, async () => {
    const path = resolve(io.global.config);
    if (existsSync(path) && !options.force) {
      throw new EngifyError({
        code: 'INIT_EXISTS',
        kind: 'config',
        message: messages.init.exists(path),
        hint: messages.init.existsHint,
      });
    }
    const interactive =
      !options.yes && process.stdin.isTTY && process.stdout.isTTY && io.renderer.mode !== 'json';
    let answers: Answers = {
      project: options.project ?? 'my-app',
      region: options.region ?? 'us-east-1',
      qdrant: true,
      hosting: 'vercel',
      flags: 'dynamodb',
    };
    if (interactive) {
      const { input, confirm, select } = await import('@inquirer/prompts');
      answers = {
        project: await input({
          message: messages.init.askProject,
          default: answers.project,
          validate: (v) => /^[a-z0-9][a-z0-9-]{0,39}$/.test(v) || messages.init.badProject,
        }),
        region: await input({
          message: messages.init.askRegion,
          default: answers.region,
          validate: (v) => awsRegion.safeParse(v).success || messages.init.badRegion,
        }),
        qdrant: await confirm({ message: messages.init.askQdrant, default: true }),
        hosting: await select({
          message: messages.init.askHosting,
          choices: [
            { value: 'vercel', name: 'Vercel' },
            { value: 'render', name: 'Render' },
            { value: 'none', name: messages.init.noHosting },
          ],
        }),
        flags: await select({
          message: messages.init.askFlags,
          choices: [
            { value: 'dynamodb', name: messages.init.flagsDynamo },
            { value: 'file', name: messages.init.flagsFile },
          ],
        }),
      };
    }
    const config = initialConfig(answers);
    const text = `${JSON.stringify(config, null, 2)}\n`;
    // What init writes must load (once the variables are set): check with the real loader first.
    const vars = [...text.matchAll(/\$\{([A-Z_]+)\}/g)].map((m) => m[1] as string);
    const sample = (v: string) =>
      /DB_URL|DATABASE_URL/.test(v) ? 'postgres://u@h/db' : v.endsWith('URL') ? 'https://example.com' : 'set';
    parseConfig(text, path, Object.fromEntries(vars.map((v) => [v, sample(v)])));
    writeFileSync(path, text);
    io.renderer.info(messages.init.written(path, [...new Set(vars)]));
    return ExitCode.ok;
  });
}
