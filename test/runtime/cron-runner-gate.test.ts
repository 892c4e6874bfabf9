import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { CronRunner } from '../../src/runtime/cron-runner.js';
import { Scheduler } from '../../src/runtime/scheduler.js';
import { StateStore } from '../../src/runtime/state-store.js';
import { FileRunHistory } from '../../src/runtime/run-history-file.js';
import { lastFiredMarks } from '../../src/runtime/task-marks.js';
import type { FiringGate, GateResult } from '../../src/runtime/task-runner.js';
import { homePaths } from '../../src/shared/paths.js';
import type { CronTaskSpec, RunRecord } from '../../src/shared/types.js';
import { cronSpec } from '../helpers/specs.js';
import { tempDir } from '../helpers/temp.js';
import { waitFor } from '../helpers/wait.js';

/** The firing gate as the fleet lock uses it: quiet refusals, loud ones, catch-up, and what never asks. */
const temps: Array<() => void> = [];
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
afterAll(() => temps.forEach((c) => c()));

async function setup(over: Partial<CronTaskSpec>, gate: FiringGate, prepare?: (store: StateStore) => void) {
  const t = tempDir();
  temps.push(t.cleanup);
  const paths = homePaths(t.dir);
  const store = await StateStore.open(paths.db, { writeDelayMs: 20 });
  prepare?.(store);
  const scheduler = new Scheduler();
  const task = new CronRunner({ spec: cronSpec(over), paths, store, scheduler, history: new FileRunHistory({ dir: paths.runs, runLog: paths.runLog }), lastFired: lastFiredMarks(store), gate });
  cleanups.push(() => store.close(), () => scheduler.stop(), () => task.dispose());
  return { task, scheduler, store };
}

const done = (r: RunRecord) => !['running', 'queued'].includes(r.state);

describe('the firing gate', () => {
  it('runs what it lets through, records a loud refusal as skipped, and leaves no trace of a quiet one', async () => {
    const asked: number[] = [];
    const gate: FiringGate = async (_spec, at) => {
      asked.push(at);
      const n = (at / 1000) % 3;
      if (n === 0) return { ok: true };
      if (n === 1) return { ok: false, quiet: true, reason: 'claimed by another host (on_one_host)' };
      return { ok: false, reason: 'lock error: redis down' };
    };
    const { task, scheduler } = await setup({ schedule: '* * * * * *', command: 'true' }, gate);
    await task.start();
    scheduler.start();
    await waitFor(() => asked.length >= 6, 15_000, 'six firings');
    scheduler.stop();
    await waitFor(() => task.history().every(done), 5000, 'runs done');
    const seen = new Set(asked.slice(0, 6));
    const runs = task.history().filter((r) => seen.has(r.scheduledAt));
    for (const at of seen) {
      const mine = runs.filter((r) => r.scheduledAt === at);
      const n = (at / 1000) % 3;
      if (n === 0) expect(mine.map((r) => r.state)).toEqual(['succeeded']);
      if (n === 1) expect(mine).toEqual([]);
      if (n === 2) expect(mine.map((r) => [r.state, r.message])).toEqual([['skipped', 'lock error: redis down']]);
    }
  });

  it('catch-up firings ask the gate too; manual runs never do', async () => {
    const asked: number[] = [];
    const now = Date.now();
    const base = Math.floor(now / 60_000) * 60_000;
    const gate: FiringGate = async (_spec, at): Promise<GateResult> => {
      asked.push(at);
      return ((at - base) / 60_000) % 2 === 0 ? { ok: true } : { ok: false, quiet: true, reason: 'claimed by another host (on_one_host)' };
    };
    const { task } = await setup({ schedule: '* * * * *', catchup: 'all', command: 'true' }, gate, (s) => {
      lastFiredMarks(s).set(cronSpec({}).name, base - 4 * 60_000 - 1);
    });
    expect(task.catchUp(now)).toBe(5);
    await task.start();
    // Done: 5 asked, the 3 allowed ran and ended (the other 2 are quiet: no record).
    await waitFor(() => asked.length === 5 && task.history().length === 3 && task.history().every(done), 10_000, 'catch-up done');
    const runs = task.history();
    expect(runs.map((r) => r.trigger)).toEqual(runs.map(() => 'catchup'));
    expect(runs.map((r) => (r.scheduledAt - base) / 60_000)).toEqual([-4, -2, 0]);
    const before = asked.length;
    await task.run();
    await waitFor(() => task.history().filter((r) => r.trigger === 'manual').every(done) && task.history().some((r) => r.trigger === 'manual'), 5000, 'manual run');
    expect(asked.length).toBe(before);
  });
});
