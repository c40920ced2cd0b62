import { Command, CommanderError, Option } from 'commander';
import type { CommandIo, GlobalOptions } from './commands/common.js';

// The commander program. Command modules (and through them the AWS/Supabase/Qdrant SDKs) are imported
// only when their verb runs, so `--help` and usage errors stay fast.

// The AWS SDK warns on every Node 20 start that its 2027 releases will need Node 22; it works today,
// and the warning would drown the tool's own output. The SDK's own switch turns it off.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// `engify-migrate status | head` closes the pipe early: that is the reader being done, not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

const program = new Command();

program
  .name('engify-migrate')
  .description('Move a live app off Supabase, Qdrant and Vercel/Render onto AWS, phase by phase.')
  .version('0.1.0')
  .option('-c, --config <file>', 'config file', 'migrations.config.json')
  .option('--json', 'print one JSON event per line (for CI)')
  .option('--verbose', 'print internal detail of errors and step logs')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

async function io(): Promise<CommandIo> {
  const { makeIo } = await import('./commands/common.js');
  return makeIo(program.opts<GlobalOptions>());
}

program
  .command('init')
  .description('write migrations.config.json (asks a few questions on a terminal)')
  .option('--project <name>', 'project name (names the AWS resources)')
  .option('--region <region>', 'AWS region')
  .option('-y, --yes', 'do not ask: use the flags and defaults')
  .option('--force', 'overwrite an existing file')
  .action(async (options) => {
    const { initCommand } = await import('./commands/init.js');
    process.exitCode = await initCommand(await io(), options);
  });

program
  .command('plan')
  .description('show what would change, phase by phase, against live state (writes nothing remote)')
  .option('-p, --phase <n>', 'only this phase (1-4)')
  .option('-o, --out <file>', 'save the plan to apply it later with `apply <file>`')
  .addOption(new Option('--force', 'plan as if phase order did not matter (shown in red)'))
  .action(async (options) => {
    const { planCommand } = await import('./commands/plan.js');
    process.exitCode = await planCommand(await io(), options);
  });

program
  .command('apply')
  .description('run one phase (or all), resumable and journaled')
  .argument('[planfile]', 'a plan saved by `plan --out`; refused if config or live state changed since')
  .option('-p, --phase <n>', 'only this phase (1-4)')
  .option('-y, --yes', 'do not ask for confirmation (required when not on a terminal)')
  .option('--force', 'run a phase before the previous one has succeeded')
  .option('--force-unlock', 'take over the state lock of a process that is gone')
  .action(async (planfile: string | undefined, options) => {
    const { applyCommand } = await import('./commands/apply.js');
    process.exitCode = await applyCommand(await io(), planfile, options);
  });

program
  .command('verify')
  .description('prove parity: existence and settings, counts, checksums, recall, users, files')
  .option('-p, --phase <n>', 'only this phase (1-4)')
  .option('--report <file>', 'also write the HTML report here (always written beside the journal)')
  .action(async (options) => {
    const { verifyCommand } = await import('./commands/verify.js');
    process.exitCode = await verifyCommand(await io(), options);
  });

program
  .command('rollback')
  .description('walk the journal back; deletes only what this tool created, never source data')
  .option('-p, --phase <n>', 'only this phase (1-4)')
  .option('-y, --yes', 'do not ask for confirmation (required when not on a terminal)')
  .option('--skip-final-snapshot', 'delete a provisioned RDS instance without a final snapshot')
  .option('--force', 'roll back a phase while a later one is still applied')
  .option('--force-unlock', 'take over the state lock of a process that is gone')
  .action(async (options) => {
    const { rollbackCommand } = await import('./commands/rollback.js');
    process.exitCode = await rollbackCommand(await io(), options);
  });

program
  .command('sync')
  .description('keep old and new in step while both are live (forward before cutover, reverse after)')
  .option('--once', 'stop once everything committed so far is applied (for scripts and CI)')
  .option('--force-unlock', 'take over the state lock of a process that is gone')
  .action(async (options) => {
    const { syncCommand } = await import('./commands/sync.js');
    process.exitCode = await syncCommand(await io(), options);
  });

program
  .command('cutover')
  .description("flip one component's feature flag: verify, drain, reverse capture, then target")
  .requiredOption('--component <name>', 'db, auth, vectors, files or hosting')
  .requiredOption('--to <mode>', 'target (cut over), source (switch back) or done (stop reverse sync)')
  .option('-y, --yes', 'do not ask for confirmation (required when not on a terminal)')
  .option('--no-backup', 'cut over to target without a backup taken after the copy snapshot')
  .option('--force-unlock', 'take over the state lock of a process that is gone')
  .action(async (options) => {
    const { cutoverCommand } = await import('./commands/cutover.js');
    process.exitCode = await cutoverCommand(await io(), options);
  });

program
  .command('backup')
  .description('back up the source to S3: database dump, Auth users (encrypted), Qdrant snapshots')
  .option('--force-unlock', 'take over the state lock of a process that is gone')
  .action(async (options) => {
    const { backupCommand } = await import('./commands/backup.js');
    process.exitCode = await backupCommand(await io(), options);
  });

program
  .command('restore')
  .description('restore the database part of a backup into a fresh PostgreSQL server')
  .requiredOption('--backup <id>', 'the backup id (its folder under backup.prefix, e.g. 20261203T091500Z)')
  .requiredOption('--to <postgres-url>', 'an empty database to restore into')
  .option('--force-unlock', 'take over the state lock of a process that is gone')
  .action(async (options) => {
    const { restoreCommand } = await import('./commands/restore.js');
    process.exitCode = await restoreCommand(await io(), options);
  });

program
  .command('status')
  .description('where every phase and step stands')
  .action(async () => {
    const { statusCommand } = await import('./commands/status.js');
    process.exitCode = await statusCommand(await io());
  });

program
  .command('schema')
  .description('print the JSON Schema of migrations.config.json')
  .option('-o, --out <file>', 'write it to a file instead')
  .action(async (options) => {
    const { schemaCommand } = await import('./commands/schema.js');
    process.exitCode = await schemaCommand(await io(), options);
  });

program
  .command('demo')
  .description('the whole run on an embedded local stack, nothing to configure')
  .option('--keep', 'keep the local stack running at the end (Ctrl-C stops it)')
  .action(async (options) => {
    const { demoCommand } = await import('./commands/demo.js');
    process.exitCode = await demoCommand(await io(), options);
  });

const sandbox = program
  .command('sandbox')
  .description('the embedded local stack, for trying commands by hand');
sandbox
  .command('up')
  .description('start the local stack, write a config for it, and keep it running until Ctrl-C')
  .option('-d, --dir <dir>', 'where to write the config and state', '.engify-sandbox')
  .action(async (options) => {
    const { sandboxUpCommand } = await import('./commands/sandbox.js');
    process.exitCode = await sandboxUpCommand(await io(), options);
  });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // --help and --version exit 0; usage errors are exit code 2 as the design says.
    process.exitCode = error.exitCode === 0 ? 0 : 2;
  } else {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
