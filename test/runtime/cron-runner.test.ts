import fs from 'node:fs';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { CronRunner } from '../../src/runtime/cron-runner.js';
import { Scheduler } from '../../src/runtime/scheduler.js';
import { StateStore } from '../../src/runtime/state-store.js';
import { FileRunHistory } from '../../src/runtime/run-history-file.js';
import { lastFiredMarks } from '../../src/runtime/task-marks.js';
import type { TaskNotice } from '../../src/runtime/task-runner.js';
import { homePaths, type HomePaths } from '../../src/shared/paths.js';
import type { CronTaskSpec, RunRecord } from '../../src/shared/types.js';
import { cronSpec, fixture } from '../helpers/specs.js';
import { tempDir } from '../helpers/temp.js';
import { livePids, waitFor } from '../helpers/wait.js';

const temps: Array<() => void> = [];
const tasks: CronRunner[] = [];
const schedulers: Scheduler[] = [];
const stores: StateStore[] = [];
afterEach(async () => {
  await Promise.all(tasks.splice(0).map((t) => t.dispose()));
  schedulers.splice(0).forEach((s) => s.stop());
  await Promise.all(stores.splice(0).map((s) => s.close()));
});
afterAll(() => temps.forEach((c) => c()));

async function setup(over: Partial<CronTaskSpec>, prepare?: (store: StateStore, history: FileRunHistory) => void, noStart = false) {
  const t = tempDir();
  temps.push(t.cleanup);
  const paths: HomePaths = homePaths(t.dir);
  const store = await StateStore.open(paths.db, { writeDelayMs: 20 });
  stores.push(store);
  const history = new FileRunHistory({ dir: paths.runs, runLog: paths.runLog });
  prepare?.(store, history);
  const scheduler = new Scheduler();
  schedulers.push(scheduler);
  const task = new CronRunner({ spec: cronSpec(over), paths, store, scheduler, history, lastFired: lastFiredMarks(store) });
  const notices: TaskNotice[] = [];
  task.on('notify', (n: TaskNotice) => notices.push(n));
  if (!noStart) await task.start();
  tasks.push(task);
  return { task, store, paths, notices, scheduler };
}

const finished = (r: RunRecord) => !['running', 'queued'].includes(r.state);
const running = (task: CronRunner) => task.status().activeRuns ?? [];
const fire = (task: CronRunner) => task.run({ trigger: 'schedule' });
const settled = (task: CronRunner, n: number, timeout = 10_000) =>
  waitFor(() => task.history().filter(finished).length >= n, timeout, `${n} finished runs`);

describe('cron runs (real processes)', () => {
  it('a * * * * * * task runs every second, each start within 100 ms of its second', async () => {
    const { task, scheduler } = await setup({ schedule: '* * * * * *', command: 'true' });
    await task.start();
    scheduler.start();
    try {
      await settled(task, 4, 8000);
    } finally {
      scheduler.stop();
    }
    const runs = task.history().filter((r) => r.trigger === 'schedule');
    expect(runs.length).toBeGreaterThanOrEqual(4);
    for (const r of runs) {
      expect(r.scheduledAt % 1000).toBe(0);
      expect(r.startedAt! - r.scheduledAt).toBeGreaterThanOrEqual(0);
      expect(r.startedAt! - r.scheduledAt).toBeLessThan(100);
    }
    for (let i = 1; i < runs.length; i++) expect(runs[i]!.scheduledAt - runs[i - 1]!.scheduledAt).toBe(1000);
  });

  it('a timeout kills a sleeping run and its grandchild', async () => {
    const { task, paths, notices } = await setup({ command: fixture('ignore-term.sh'), timeoutMs: 2000, stopTimeoutMs: 300 });
    const rec = await task.run();
    await waitFor(() => running(task)[0], 2000, 'running');
    await settled(task, 1, 20_000);
    const r = task.history()[0]!;
    expect(r).toMatchObject({ id: rec.id, state: 'timed-out', trigger: 'manual', attempt: 1, message: 'timed out after 2s' });
    // (2 s: the fixture says "ready" well before it on a loaded machine. The bound on the end
    // is a generous guard: it ended at its timeout, not after the fixture's own sleep.)
    expect(r.endedAt! - r.startedAt!).toBeLessThan(2000 + 300 + 10_000);
    const log = fs.readFileSync(paths.runLog(task.name, r.id), 'utf8');
    expect(log).toMatch(/\[out\] ready (\d+)/);
    const shellPid = Number(/ready (\d+)/.exec(log)![1]);
    expect(livePids(shellPid)).toEqual([]);
    expect(log).toContain('[jobctl] timeout (2s) reached: SIGTERM to the process group');
    expect(log).toContain('[jobctl] stop_timeout (300ms) passed: SIGKILL to the process group');
    expect(notices.map((n) => n.event)).toEqual(['timeout']);
  });

  it('keeps `history` runs; older records and their log files go when the file holds twice as many', async () => {
    const { task, paths } = await setup({ command: 'echo run $JOBCTL_RUN_ID', history: 3 });
    const runOnce = async (i: number) => {
      task.run();
      await settled(task, Math.min(i + 1, 3));
      await waitFor(() => running(task).length === 0, 5000, 'idle');
    };
    for (let i = 0; i < 6; i++) await runOnce(i);
    expect(task.history()).toHaveLength(3);
    expect(fs.readdirSync(paths.runLogDir(task.name))).toHaveLength(6); // not trimmed yet: 6 = 2 × history
    await runOnce(6);
    const kept = task.history();
    expect(kept).toHaveLength(3);
    expect(fs.readFileSync(`${paths.runs}/${task.name}.jsonl`, 'utf8').trim().split('\n')).toHaveLength(3);
    // The dropped runs' logs are deleted in the background: until that is done.
    const want = kept.map((r) => `${r.id}.log`).sort();
    await waitFor(() => fs.readdirSync(paths.runLogDir(task.name)).length === want.length, 10_000, 'dropped run logs deleted');
    expect(fs.readdirSync(paths.runLogDir(task.name)).sort()).toEqual(want);
    const log = fs.readFileSync(paths.runLog(task.name, kept[2]!.id), 'utf8');
    expect(log).toContain(`[out] run ${kept[2]!.id}`);
    expect(log).toMatch(/\[jobctl\] succeeded\n$/);
  });

  it('overlap skip: a firing while the previous run goes is recorded as skipped', async () => {
    const { task } = await setup({ command: 'sleep 0.5', overlap: 'skip' });
    fire(task);
    const second = await fire(task);
    expect(second).toMatchObject({ state: 'skipped', message: 'previous run still going (overlap: skip)' });
    await settled(task, 2);
    expect(task.history().map((r) => r.state)).toEqual(['succeeded', 'skipped']);
  });

  it('a trigger refused at once (overlap skip) is answered from memory, without reading the history file', async () => {
    let h: FileRunHistory | undefined;
    const { task } = await setup({ command: 'sleep 0.5', overlap: 'skip', history: 500 }, (_s, history) => {
      h = history;
    });
    fire(task);
    const list = vi.spyOn(h!, 'list');
    const second = await fire(task);
    expect(second).toMatchObject({ state: 'skipped', message: 'previous run still going (overlap: skip)' });
    // `list` reads and folds the whole file (up to 2 × history runs) on the event loop.
    expect(list).not.toHaveBeenCalled();
    list.mockRestore();
    await settled(task, 2);
  });

  it('overlap queue: one waits and starts after; a third is skipped', async () => {
    const { task } = await setup({ command: 'sleep 0.3', overlap: 'queue' });
    fire(task);
    expect((await fire(task)).state).toBe('queued');
    expect((await fire(task)).state).toBe('skipped');
    await settled(task, 3);
    const [a, b] = task.history().filter((r) => r.state === 'succeeded');
    expect(b!.startedAt!).toBeGreaterThanOrEqual(a!.endedAt!);
  });

  it('overlap replace: the old run is stopped and the new one starts', async () => {
    const { task } = await setup({ command: 'sleep 5', overlap: 'replace', stopTimeoutMs: 1000 });
    fire(task);
    await waitFor(() => running(task).length === 1, 2000, 'first running');
    fire(task);
    await waitFor(() => task.history()[0]!.state === 'killed', 3000, 'replaced');
    await waitFor(() => running(task).length === 1 && running(task)[0]!.id === task.history()[1]!.id, 3000, 'second running');
    expect(task.history()[0]!.message).toBe('replaced by a newer run (overlap: replace)');
  });

  it('overlap allow: runs side by side', async () => {
    const { task } = await setup({ command: 'sleep 0.3', overlap: 'allow' });
    fire(task);
    fire(task);
    expect(running(task)).toHaveLength(2);
    await settled(task, 2);
  });

  it('retries a failed run with doubling delays, each attempt its own record', async () => {
    const { task, notices } = await setup({ command: 'echo attempt; exit 1', retries: 2, retryDelayMs: 150 });
    fire(task);
    await settled(task, 3);
    const runs = task.history();
    expect(runs.map((r) => [r.attempt, r.trigger, r.state])).toEqual([
      [1, 'schedule', 'failed'], [2, 'retry', 'failed'], [3, 'retry', 'failed'],
    ]);
    expect(runs[0]!.message).toBe('exited with code 1');
    expect(runs[0]!.exitCode).toBe(1);
    expect(new Set(runs.map((r) => r.scheduledAt)).size).toBe(1);
    expect(runs[1]!.startedAt! - runs[0]!.endedAt!).toBeGreaterThanOrEqual(140);
    expect(runs[2]!.startedAt! - runs[1]!.endedAt!).toBeGreaterThanOrEqual(290);
    // A lower bound, kept on purpose: no fourth attempt follows (the next would be due 600 ms
    // after the third); load can only make this check weaker, never fail it.
    await new Promise((r) => setTimeout(r, 700));
    expect(task.history()).toHaveLength(3);
    expect(notices.map((n) => n.event)).toEqual(['failure', 'failure', 'failure']);
  });

  it('notifies recovered when a run succeeds after a failure', async () => {
    const { task, notices } = await setup({ command: 'test -f "$MARK" || { touch "$MARK"; exit 1; }', env: { MARK: `/tmp/jobctl-mark-${process.pid}-${Date.now()}` } });
    task.run();
    await settled(task, 1);
    task.run();
    await settled(task, 2);
    expect(notices.map((n) => n.event)).toEqual(['failure', 'recovered']);
  });

  it('catchup all: runs each missed firing in order, one after another', async () => {
    const now = Date.now();
    const fiveAgo = Math.floor(now / 60_000) * 60_000 - 5 * 60_000 + 1;
    const { task } = await setup({ schedule: '* * * * *', catchup: 'all', command: 'sleep 0.05' }, (s) => {
      s.setLastScheduled('test-cron', fiveAgo);
    });
    expect(task.catchUp(now)).toBe(5);
    await task.start();
    await settled(task, 5);
    const runs = task.history();
    expect(runs.map((r) => r.trigger)).toEqual(Array(5).fill('catchup'));
    expect(runs.map((r) => r.scheduledAt)).toEqual([...runs.map((r) => r.scheduledAt)].sort((a, b) => a - b));
    for (let i = 1; i < runs.length; i++) expect(runs[i]!.startedAt!).toBeGreaterThanOrEqual(runs[i - 1]!.endedAt!);
  });

  it('catchup latest: one run, the rest recorded as skipped; none: nothing runs', async () => {
    const now = Date.now();
    const ago = now - 10 * 60_000;
    const latest = await setup({ schedule: '* * * * *', catchup: 'latest', command: 'true' }, (s) => {
      s.setLastScheduled('test-cron', ago);
    });
    expect(latest.task.catchUp(now)).toBe(1);
    await latest.task.start();
    await settled(latest.task, 2);
    const runs = latest.task.history();
    expect(runs[0]).toMatchObject({ state: 'skipped', trigger: 'catchup', message: '9 missed firings while the daemon was down not run (catchup: latest)' });
    expect(runs[1]).toMatchObject({ state: 'succeeded', trigger: 'catchup' });
    expect(latest.store.lastScheduled('test-cron')).toBe(Math.floor(now / 60_000) * 60_000);

    const none = await setup({ schedule: '* * * * *', catchup: 'none', command: 'true' }, (s) => {
      s.setLastScheduled('test-cron', ago);
    });
    expect(none.task.catchUp(now)).toBe(0);
    expect(none.task.history()).toMatchObject([{ state: 'skipped', trigger: 'catchup', message: '10 missed firings while the daemon was down not run (catchup: none)' }]);
  });

  it('stop stops a run under way: killed', async () => {
    const { task } = await setup({ command: 'sleep 100' });
    task.run();
    await waitFor(() => running(task).length === 1, 2000, 'running');
    await task.stop();
    await settled(task, 1);
    expect(task.history()[0]).toMatchObject({ state: 'killed', message: 'the task was stopped', signal: 'SIGTERM' });
  });

  it('a manual run given while a stop waits is not waited for: stop returns once the runs it stopped are gone', async () => {
    for (const overlap of ['queue', 'allow'] as const) {
      const { task } = await setup({ command: "trap '' TERM; sleep 30", stopTimeoutMs: 500, overlap });
      await task.run();
      await waitFor(() => running(task).length === 1, 2000, 'running');
      const t0 = Date.now();
      const stopping = task.stop();
      await waitFor(() => task.status().desired === 'stopped', 10_000, 'the stop under way');
      await task.run();
      await stopping;
      // It did not wait for the manual run's `sleep 30` (a generous guard; load makes it slow, not 30 s).
      expect(Date.now() - t0, overlap).toBeLessThan(20_000);
      expect(task.history()[0], overlap).toMatchObject({ state: 'killed', message: 'the task was stopped' });
      await task.dispose();
    }
  });

  it('a runner being disposed takes no command: start, restart and run are NOT_FOUND', async () => {
    const { task } = await setup({ command: "trap '' TERM; sleep 30", stopTimeoutMs: 500 });
    await task.run();
    await waitFor(() => running(task).length === 1, 2000, 'running');
    const disposing = task.dispose();
    await expect(task.run()).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(task.start()).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(task.restart()).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await disposing;
    expect(running(task)).toEqual([]);
  });

  it('a run that cannot start is failed with the reason', async () => {
    const { task } = await setup({ command: ['/nonexistent/report'] });
    task.run();
    await settled(task, 1);
    expect(task.history()[0]).toMatchObject({ state: 'failed', message: 'could not start: command not found or not executable: /nonexistent/report' });
  });

  it('closes records a dead daemon left running', async () => {
    const { task } = await setup({}, (_s, h) => {
      h.write({ id: 'x', task: 'test-cron', scheduledAt: 1, startedAt: 1, attempt: 1, trigger: 'schedule', state: 'running' });
    });
    expect(task.history()[0]).toMatchObject({ state: 'killed', message: 'the daemon stopped before this run ended' });
  });
});
