/**
 * How a bench run shows its progress: a bar on a terminal, one plain line per trial otherwise (CI
 * logs, pipes), so a log shows what ran and how long each trial took.
 */
import cliProgress from 'cli-progress';
import type { ProgressEvent } from './scenario-runner.js';

export interface ProgressDisplay {
  onProgress(e: ProgressEvent): void;
  /** A message that must not be drawn over by the bar. */
  note(line: string): void;
  stop(): void;
}

function describe(e: ProgressEvent): string {
  switch (e.kind) {
    case 'trial':
      return `${e.scenario} ${e.warmup ? 'warm-up' : 'trial'} ${e.trial}/${e.trials}`;
    case 'trial-done':
      return `${e.scenario} ${e.warmup ? 'warm-up' : 'trial'} ${e.trial}/${e.trials}: ${e.wallMs.toFixed(1)} ms`;
    case 'skipped':
      return `${e.scenario} skipped: ${e.reason}`;
    case 'failed':
      return `${e.scenario} FAILED: ${e.reason}`;
  }
}

/** A bar when `tty`, plain lines otherwise. `steps` = trials (warm-up included) over all scenarios; a skipped or failed scenario's rest counts as done. */
export function createProgressDisplay(out: NodeJS.WritableStream, tty: boolean, steps: number, stepsOf: (scenario: string) => number): ProgressDisplay {
  if (!tty) {
    let done = 0;
    return {
      onProgress(e) {
        if (e.kind === 'trial') return;
        if (e.kind === 'trial-done') done++;
        else done += stepsOf(e.scenario);
        out.write(`[${Math.min(done, steps)}/${steps}] ${describe(e)}\n`);
      },
      note(line) {
        out.write(line + '\n');
      },
      stop() {},
    };
  }
  const bar = new cliProgress.SingleBar(
    { format: 'bench [{bar}] {value}/{total} {label}', stream: out as NodeJS.WriteStream, hideCursor: true, clearOnComplete: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(steps, 0, { label: '' });
  const doneIn = new Map<string, number>();
  return {
    onProgress(e) {
      if (e.kind === 'trial') return bar.update({ label: describe(e) });
      if (e.kind === 'trial-done') {
        doneIn.set(e.scenario, (doneIn.get(e.scenario) ?? 0) + 1);
        return bar.increment(1, { label: describe(e) });
      }
      // The bar is redrawn in place: print the message above it, then jump over the rest.
      bar.stop();
      out.write(describe(e) + '\n');
      const value = (bar.getProgress() * steps) | 0;
      bar.start(steps, value + stepsOf(e.scenario) - (doneIn.get(e.scenario) ?? 0), { label: '' });
    },
    note(line) {
      bar.stop();
      out.write(line + '\n');
      bar.start(steps, (bar.getProgress() * steps) | 0, { label: '' });
    },
    stop() {
      bar.stop();
    },
  };
}
