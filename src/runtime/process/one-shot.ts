import { errorMessage } from '../../shared/errors.js';
import { startProcess, type StartOptions } from './handle.js';
import { collectOutput } from './output.js';
import type { ExitStatus, SpawnRequest } from './start.js';

export interface OneShotOptions extends Omit<StartOptions, 'clock'> {
  /** The process and everything it started are killed after this long. */
  timeoutMs: number;
  /** Characters kept of stdout and of stderr (its tail). */
  maxBytes: number;
  /** Which end of stdout is kept. @default 'head' */
  stdoutKeep?: 'head' | 'tail';
  /** How long the output may take to arrive once the box is empty. @default 1000 */
  drainMs?: number;
}

export type OneShotResult =
  | { outcome: 'exited'; status: ExitStatus; stdout: string; stderr: string }
  | { outcome: 'timeout'; stdout: string; stderr: string }
  | { outcome: 'not-started'; error: string };

const realTimers = { setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms), clearTimeout: (h: unknown) => clearTimeout(h as NodeJS.Timeout) };

/**
 * A process run once for what it prints (a health or scale probe): started in its own box,
 * bounded by a timeout, and nothing of it left afterwards. When it exits, whatever it left
 * in its box (`sleep 9 &`, a `setsid` grandchild) is killed, so its pipes close and all of
 * its output is read; at the timeout the whole box is killed.
 */
export async function runOneShot(req: SpawnRequest, o: OneShotOptions): Promise<OneShotResult> {
  let proc;
  try {
    proc = await startProcess(req, { ...o, clock: realTimers });
  } catch (e) {
    return { outcome: 'not-started', error: errorMessage(e) };
  }
  const out = collectOutput(proc.stdout, o.maxBytes, o.stdoutKeep ?? 'head');
  const err = collectOutput(proc.stderr, o.maxBytes, 'tail');
  const outputClosed = Promise.all([out.ended, err.ended]);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), o.timeoutMs);
  });
  try {
    const r = await Promise.race([proc.exit, timedOut]);
    if (r === 'timeout') {
      proc.kill();
      await proc.box.waitEmpty(1000);
    } else {
      // What the probe left goes at once: it is one-shot.
      await proc.box.clear('SIGKILL', 1000, { outputClosed });
    }
    await Promise.race([outputClosed, new Promise((res) => setTimeout(res, o.drainMs ?? 1000).unref())]);
    return r === 'timeout'
      ? { outcome: 'timeout', stdout: out.text(), stderr: err.text() }
      : { outcome: 'exited', status: r, stdout: out.text(), stderr: err.text() };
  } finally {
    clearTimeout(timer);
    proc.stdout.destroy();
    proc.stderr.destroy();
    proc.box.release();
  }
}
