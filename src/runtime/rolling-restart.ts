import { rollingStep } from '../core/rolling.js';
import type { InstanceInfo, RollingInfo } from '../shared/protocol.js';
import { realClock, type Clock } from './clock.js';

/** The instances of one task, as a rolling restart sees them. */
export interface RollingTarget {
  /** Indexes of the instances to replace, in order. */
  indexes(): number[];
  status(index: number): InstanceInfo | undefined;
  /** Replace this instance; `step` says which step it is (`2 of 4`). */
  restart(index: number, step: string): void;
  /** Calls back on every instance change; returns the unsubscribe function. */
  onChange(fn: () => void): () => void;
  /** Whether the replacement must pass its health check. */
  hasHealth(): boolean;
  /** Whether this instance was scaled away since the roll began: not replaced, and no failure. */
  retired(index: number): boolean;
}

const STOPPED = 'the task was stopped';

export interface RollingOptions {
  /** How long one instance may take to be replaced. */
  stepTimeoutMs: number;
  clock?: Clock;
  /** Each change of progress (for status). */
  onProgress?: (info: RollingInfo) => void;
  /** Stop between steps (the task was stopped or removed). */
  cancelled?: () => boolean;
}

/**
 * Restart the instances one at a time: the next is touched only when the previous one's
 * replacement is running (or healthy). The first replacement that fails or times out ends
 * the roll; the instances not yet reached keep running their old processes. An instance
 * scaled away meanwhile (before or during its step) leaves the roll: `total` counts it no more.
 */
export async function rollingRestart(target: RollingTarget, opts: RollingOptions): Promise<RollingInfo> {
  const clock = opts.clock ?? realClock;
  const indexes = target.indexes();
  const info: RollingInfo = { state: 'running', done: 0, total: indexes.length, startedAt: clock.now() };
  const progress = () => opts.onProgress?.({ ...info });
  progress();
  for (const index of indexes) {
    if (opts.cancelled?.()) {
      Object.assign(info, { state: 'failed', instance: index, endedAt: clock.now(), message: STOPPED });
      progress();
      return { ...info };
    }
    if (target.retired(index)) {
      info.total--;
      progress();
      continue;
    }
    info.instance = index;
    progress();
    const oldPid = target.status(index)?.pid;
    const startedAt = clock.now();
    target.restart(index, `${info.done + 1} of ${info.total}`);
    const verdict = await new Promise<{ kind: 'done' } | { kind: 'retired' } | { kind: 'failed'; reason: string }>((resolve) => {
      let timer: unknown;
      let finished = false;
      let off = () => undefined as void;
      const check = () => {
        if (finished) return;
        const s = target.status(index);
        // A stop during the step ends the roll now, not at the step's timeout.
        const v = opts.cancelled?.() ? { kind: 'failed' as const, reason: STOPPED } : target.retired(index) ? { kind: 'retired' as const } : s
          ? rollingStep(s, { ...(oldPid !== undefined ? { oldPid } : {}), requireHealthy: target.hasHealth(), startedAt, timeoutMs: opts.stepTimeoutMs }, clock.now())
          : { kind: 'failed' as const, reason: 'the instance is gone (the task was removed)' };
        if (v.kind === 'wait') return;
        finished = true;
        clock.clearTimeout(timer);
        off();
        resolve(v);
      };
      off = target.onChange(check);
      // Also on a timer: the timeout passes without any change.
      const tick = () => {
        timer = clock.setTimeout(() => {
          check();
          if (!finished) tick();
        }, Math.min(500, opts.stepTimeoutMs));
      };
      tick();
      check();
    });
    if (verdict.kind === 'retired') {
      info.total--;
      delete info.instance;
      progress();
      continue;
    }
    if (verdict.kind === 'failed') {
      Object.assign(info, { state: 'failed', endedAt: clock.now(), message: verdict.reason === STOPPED ? STOPPED : `instance ${index}: ${verdict.reason}` });
      progress();
      return { ...info };
    }
    info.done++;
    delete info.instance;
    progress();
  }
  Object.assign(info, { state: 'done', endedAt: clock.now() });
  progress();
  return { ...info };
}
