import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { configJsonSchema } from '../config/json-schema.js';
import { ExitCode } from '../core/errors.js';
import type { CommandIo } from './common.js';

/** Prints (or writes) the JSON Schema of the config. */
export async function schemaCommand(io: CommandIo, options: { out?: string }): Promise<ExitCode> {
  const text = `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
  if (options.out) {
    writeFileSync(resolve(options.out), text);
    io.renderer.info(`JSON Schema written to ${resolve(options.out)}`);
  } else process.stdout.write(text);
  return ExitCode.ok;
}
