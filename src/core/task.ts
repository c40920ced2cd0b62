// The unit the renderers run: the engine hands over a list of tasks, each resolving to a result it
// reports (never throwing), and the renderer shows them as a listr2 tree, plain lines or JSON events.

export type TaskOutcome = 'succeeded' | 'failed' | 'skipped' | 'noop';

export interface TaskReport {
  outcome: TaskOutcome;
  /** One line shown next to the title when the task ends. */
  summary: string;
}

export interface TaskIo {
  log(message: string): void;
  progress(update: { done: number; total?: number; unit?: string }): void;
}

export interface UiTask<T extends TaskReport = TaskReport> {
  id: string;
  title: string;
  run(io: TaskIo): Promise<T>;
}
