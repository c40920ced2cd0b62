import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { checklist } from '../components/registry.js';
import { ExitCode } from '../core/errors.js';
import { messages } from '../core/messages.js';
import { ALL_PHASES, selectSteps } from '../engine/select-steps.js';
import { foldSteps } from '../engine/step-state.js';
import { verifySelection, verifyTasks } from '../engine/verifier.js';
import { gatherReport } from '../engine/verify-report.js';
import { renderReportHtml } from '../ui/report/html.js';
import { type CommandIo, parsePhase, withSession } from './common.js';

export interface VerifyOptions {
  phase?: string;
  /** Also write the HTML report here (it is always written beside the journal). */
  report?: string;
}

/**
 * Verifies succeeded steps (parity) and rolled-back phases (what they created is gone); a step of a
 * covered phase that has not succeeded is a failed check, so the exit is 1 until the phase is done.
 */
export async function verifyCommand(io: CommandIo, options: VerifyOptions): Promise<ExitCode> {
  let phase: ReturnType<typeof parsePhase>;
  return withSession(
    io,
    {
      before: () => {
        phase = parsePhase(options.phase);
      },
    },
    async (session) => {
      const states = foldSteps(session.journal.all());
      const selected = verifySelection(
        selectSteps(checklist, session.loaded.config, phase ? [phase] : ALL_PHASES),
        states,
        phase,
      );
      if (selected.length === 0) {
        io.renderer.info(messages.verify.nothing);
        return ExitCode.ok;
      }
      const modes = new Map(selected.map(({ step, mode }) => [step.id, mode]));
      const results = await io.renderer.runTasks(
        verifyTasks(
          session,
          selected.map(({ step }) => step),
          (s) => modes.get(s.id) ?? { kind: 'applied' },
        ),
      );
      const data = gatherReport({
        project: session.loaded.config.project,
        stateDir: session.loaded.stateDir,
        steps: selected.map(({ step }) => step),
        results,
        journal: session.journal.all(),
      });
      // On a terminal a person reads it: the summary per component and only what needs attention.
      // Piped output and --json keep every check (CI logs and scripts grep them).
      const brief = io.renderer.mode === 'tty' && !io.global.verbose;
      let passed = 0;
      let failed = 0;
      let skipped = 0;
      let hidden = 0;
      if (brief)
        for (const c of data.components)
          io.renderer.info(messages.report.componentLine(c.component, c.passed, c.failed, c.skipped));
      for (const r of results) {
        const shown = brief ? r.checks.filter((c) => !c.ok || c.skipped) : r.checks;
        hidden += r.checks.length - shown.length;
        if (shown.length > 0) io.renderer.checks(r.id, shown);
        passed += r.checks.filter((c) => c.ok).length;
        failed += r.checks.filter((c) => !c.ok && !c.skipped).length;
        skipped += r.checks.filter((c) => c.skipped).length;
      }
      if (hidden > 0) io.renderer.info(messages.report.hiddenPassed(hidden));
      io.renderer.info(messages.verify.done(passed, failed, skipped));
      // Redacted as a whole too: every configured secret is masked wherever it might have surfaced.
      const html = session.loaded.redactor.redact(renderReportHtml(data));
      const paths = [
        join(session.loaded.stateDir, REPORT_FILE),
        ...(options.report ? [resolve(options.report)] : []),
      ];
      for (const path of paths) writeFileAtomic(path, html);
      const shownPath = options.report ? resolve(options.report) : (paths[0] as string);
      if (io.renderer.mode === 'json') io.renderer.data('report', { path: shownPath });
      else io.renderer.info(messages.report.written(shownPath));
      return failed > 0 ? ExitCode.failed : ExitCode.ok;
    },
  );
}

/** The report kept beside the journal after every verify. */
export const REPORT_FILE = 'verify-report.html';

function writeFileAtomic(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}
