import chalk, { Chalk, type ChalkInstance } from 'chalk';
import type { EngifyError } from '../core/errors.js';
import type { Check } from '../core/step.js';
import type { TaskIo, TaskReport, UiTask } from '../core/task.js';
import type { PlanDocument } from '../engine/planner.js';

// Three ways to show the same run: a listr2 task tree on a terminal, plain lines when piped, and one
// JSON object per line with --json (for CI). Commands call the renderer; they never print directly.

export type RenderMode = 'tty' | 'plain' | 'json';

export interface Renderer {
  readonly mode: RenderMode;
  info(text: string): void;
  warn(text: string): void;
  error(error: EngifyError, verbose: boolean): void;
  plan(plan: PlanDocument): void;
  checks(stepId: string, checks: Check[]): void;
  /** A structured record: a JSON event in json mode, an indented key/value block otherwise. */
  data(type: string, value: Record<string, unknown>): void;
  runTasks<T extends TaskReport>(tasks: UiTask<T>[]): Promise<T[]>;
}

export function pickMode(
  options: { json?: boolean },
  stream: NodeJS.WriteStream = process.stdout,
): RenderMode {
  if (options.json) return 'json';
  return stream.isTTY && !process.env.CI ? 'tty' : 'plain';
}

export function createRenderer(mode: RenderMode, verbose = false): Renderer {
  const c: ChalkInstance = new Chalk({
    level: process.env.NO_COLOR || mode !== 'tty' ? 0 : chalk.level || 1,
  });
  if (mode === 'json') return new JsonRenderer();
  return new TextRenderer(mode, c, verbose);
}

const ACTION_MARK: Record<string, string> = {
  create: '+',
  update: '~',
  copy: '>',
  sync: '=',
  flip: '!',
  delete: '-',
  noop: ' ',
};

class TextRenderer implements Renderer {
  constructor(
    readonly mode: 'tty' | 'plain',
    private readonly c: ChalkInstance,
    private readonly verbose: boolean,
  ) {}

  info(text: string): void {
    process.stdout.write(`${text}\n`);
  }

  warn(text: string): void {
    process.stderr.write(`${this.c.yellow('warning:')} ${text}\n`);
  }

  error(error: EngifyError, verbose: boolean): void {
    process.stderr.write(`${this.c.red('error:')} ${error.message}\n`);
    if (error.hint) process.stderr.write(`${this.c.dim('next:')} ${error.hint}\n`);
    if (verbose && error.detail) process.stderr.write(`${this.c.dim('detail:')} ${error.detail}\n`);
  }

  plan(plan: PlanDocument): void {
    const { c } = this;
    const lines: string[] = [];
    if (plan.forced) lines.push(c.red.bold('FORCED: phase order checks are off for this run (--force).'));
    for (const phase of plan.phases) {
      const steps = plan.steps.filter((s) => s.phase === phase);
      if (steps.length === 0) continue;
      lines.push(c.bold(`Phase ${phase}`));
      for (const step of steps) {
        lines.push(`  ${c.bold(step.id)}  ${c.dim(step.title)}`);
        if (step.error) {
          lines.push(`    ${c.red('x')} ${step.error.message}`);
          if (step.error.hint) lines.push(`      ${c.dim(step.error.hint)}`);
        }
        for (const change of step.changes) {
          const mark = ACTION_MARK[change.action] ?? '?';
          const colour =
            change.action === 'noop'
              ? c.dim
              : change.action === 'delete'
                ? c.red
                : change.action === 'create'
                  ? c.green
                  : c.yellow;
          lines.push(colour(`    ${mark} ${change.action.padEnd(6)} ${change.resource}: ${change.summary}`));
          for (const w of change.warnings ?? []) lines.push(`      ${c.yellow('!')} ${w}`);
        }
      }
    }
    // Plan-wide sections (the cost estimate) come after the steps; their warnings go to stderr
    // through warn(), so here only the section itself.
    for (const report of plan.reports ?? []) {
      lines.push(c.bold(report.title));
      for (const line of report.lines) lines.push(`  ${line}`);
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  }

  checks(stepId: string, checks: Check[]): void {
    const { c } = this;
    for (const check of checks) {
      const mark = check.skipped ? c.yellow('-') : check.ok ? c.green('✓') : c.red('✗');
      const shown =
        check.ok && !this.verbose ? '' : ` (expected ${fmt(check.expected)}, got ${fmt(check.actual)})`;
      process.stdout.write(`  ${mark} ${stepId}: ${check.name}${shown}\n`);
      if (!check.ok && check.hint) process.stdout.write(`      ${c.dim(check.hint)}\n`);
    }
  }

  data(type: string, value: Record<string, unknown>): void {
    process.stdout.write(`${this.c.bold(type)}\n`);
    for (const [k, v] of Object.entries(value)) process.stdout.write(`  ${k}: ${fmt(v)}\n`);
  }

  async runTasks<T extends TaskReport>(tasks: UiTask<T>[]): Promise<T[]> {
    return this.mode === 'tty' ? this.runListr(tasks) : this.runPlain(tasks);
  }

  private async runPlain<T extends TaskReport>(tasks: UiTask<T>[]): Promise<T[]> {
    const { c } = this;
    const out: T[] = [];
    for (const task of tasks) {
      process.stdout.write(`${c.dim('…')} ${task.title}\n`);
      let lastProgress = 0;
      const io: TaskIo = {
        log: (m) => {
          if (this.verbose) process.stdout.write(`    ${c.dim(m)}\n`);
        },
        progress: (u) => {
          // Plain output is for logs: at most one progress line every 5 s.
          const now = Date.now();
          if (now - lastProgress < 5000) return;
          lastProgress = now;
          process.stdout.write(`    ${u.done}${u.total ? `/${u.total}` : ''} ${u.unit ?? ''}\n`);
        },
      };
      const r = await task.run(io);
      out.push(r);
      process.stdout.write(`${outcomeMark(c, r.outcome)} ${task.title}: ${r.summary}\n`);
    }
    return out;
  }

  private async runListr<T extends TaskReport>(tasks: UiTask<T>[]): Promise<T[]> {
    const { Listr } = await import('listr2');
    const out: T[] = [];
    const started = new Map<string, number>();
    const list = new Listr(
      tasks.map((t) => ({
        title: t.title,
        task: async (_ctx: unknown, task: { title: string; output: string; skip(m?: string): void }) => {
          started.set(t.id, Date.now());
          const r = await t.run({
            log: (m) => {
              task.output = m;
            },
            progress: (u) => {
              const secs = (Date.now() - (started.get(t.id) ?? Date.now())) / 1000;
              const rate = secs > 0 ? u.done / secs : 0;
              const eta = u.total && rate > 0 ? ` eta ${Math.ceil((u.total - u.done) / rate)}s` : '';
              task.output = `${u.done}${u.total ? `/${u.total}` : ''} ${u.unit ?? ''} ${rate.toFixed(0)}/s${eta}`;
            },
          });
          out.push(r);
          task.title = `${t.title}: ${r.summary}`;
          if (r.outcome === 'skipped') task.skip(`${t.title}: ${r.summary}`);
          if (r.outcome === 'failed') throw new Error(r.summary);
        },
      })),
      { concurrent: false, exitOnError: false, rendererOptions: { collapseErrors: false } },
    );
    await list.run().catch(() => undefined);
    return out;
  }
}

class JsonRenderer implements Renderer {
  readonly mode = 'json' as const;
  private emit(event: Record<string, unknown>): void {
    process.stdout.write(`${JSON.stringify({ at: new Date().toISOString(), ...event })}\n`);
  }
  info(text: string): void {
    this.emit({ type: 'info', message: text });
  }
  warn(text: string): void {
    this.emit({ type: 'warning', message: text });
  }
  error(error: EngifyError, verbose: boolean): void {
    this.emit({
      type: 'error',
      ...error.toJSON(),
      ...(verbose && error.detail ? { detail: error.detail } : {}),
    });
  }
  plan(plan: PlanDocument): void {
    this.emit({ type: 'plan', plan });
  }
  checks(stepId: string, checks: Check[]): void {
    for (const check of checks) this.emit({ type: 'check', step: stepId, ...check });
  }
  data(type: string, value: Record<string, unknown>): void {
    this.emit({ type, ...value });
  }
  async runTasks<T extends TaskReport>(tasks: UiTask<T>[]): Promise<T[]> {
    const out: T[] = [];
    for (const task of tasks) {
      this.emit({ type: 'task-start', id: task.id, title: task.title });
      let last = 0;
      const r = await task.run({
        log: (m) => this.emit({ type: 'task-log', id: task.id, message: m }),
        progress: (u) => {
          const now = Date.now();
          if (now - last < 1000) return;
          last = now;
          this.emit({ type: 'task-progress', id: task.id, ...u });
        },
      });
      out.push(r);
      this.emit({ type: 'task-end', id: task.id, ...(r as TaskReport) });
    }
    return out;
  }
}

function outcomeMark(c: ChalkInstance, outcome: TaskReport['outcome']): string {
  switch (outcome) {
    case 'succeeded':
      return c.green('✓');
    case 'noop':
      return c.dim('=');
    case 'skipped':
      return c.yellow('-');
    default:
      return c.red('✗');
  }
}

function fmt(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}
