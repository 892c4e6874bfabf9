import fs from 'node:fs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { CronRunner, type CronRunnerOptions } from '../../src/runtime/cron-runner.js';
import { Scheduler } from '../../src/runtime/scheduler.js';
import { FileRunHistory } from '../../src/runtime/run-history-file.js';
import { memoryMarks } from '../../src/runtime/task-marks.js';
import type { FiringGate } from '../../src/runtime/task-runner.js';
import { homePaths } from '../../src/shared/paths.js';
import type { CronTaskSpec, RunRecord } from '../../src/shared/types.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { cronSpec } from '../helpers/specs.js';
import { tempDir } from '../helpers/temp.js';
import { waitFor } from '../helpers/wait.js';

const runners: CronRunner[] = [];
const temps: Array<() => void> = [];
afterEach(async () => {
  await Promise.all(runners.splice(0).map((r) => r.dispose()));
});
afterAll(() => temps.forEach((c) => c()));

const T0 = Date.parse('2026-01-01T00:00:00Z');
const flush = () => new Promise((r) => setImmediate(r));

function setup(over: Partial<CronTaskSpec>, extra: Partial<CronRunnerOptions> = {}, clockArg: FakeClock | null = new FakeClock(T0)) {
  const clock = clockArg ?? undefined;
  const t = tempDir();
  temps.push(t.cleanup);
  const paths = homePaths(t.dir);
  const scheduler = new Scheduler({ ...(clock ? { clock } : {}), lateMs: 5000 });
  const history = new FileRunHistory({ dir: paths.runs, runLog: paths.runLog });
  const lastFired = memoryMarks<number>();
  // On the real clock a test's own runs must not meet a firing of an every-second schedule (a
  // loaded machine makes a test last seconds): yearly, unless the test says otherwise.
  const spec = cronSpec(clock ? over : { schedule: '0 0 1 1 *', ...over });
  const runner = new CronRunner({ spec, paths, history, lastFired, scheduler, ...(clock ? { clock } : {}), ...extra });
  runners.push(runner);
  scheduler.start();
  return { runner, scheduler, history, lastFired, clock, paths };
}

/** A run that traps SIGTERM (ending 0.3 s later); it says "trapped" once the trap is set. */
const TRAPPING = "trap 'sleep 0.3; exit 0' TERM; echo trapped; sleep 10 & wait";

/** Until the newest run's trap is set (its log says so): a stop from now on finds it trapping. */
async function trapSet(runner: CronRunner, paths: ReturnType<typeof homePaths>): Promise<void> {
  await waitFor(() => {
    const run = runner.history().find((r) => r.state === 'running');
    if (!run) return false;
    try {
      return fs.readFileSync(paths.runLog(runner.spec.name, run.id), 'utf8').includes('trapped');
    } catch {
      return false;
    }
  }, 10_000, 'the run trapping SIGTERM');
}

const refuseAll: FiringGate = async () => ({ ok: false, reason: 'held elsewhere' });
const byState = (runs: RunRecord[], state: string) => runs.filter((r) => r.state === state);

describe('CronRunner on a fake clock', () => {
  it('defect 2: stop; start within one interval never fires an instant twice', async () => {
    // The gate refuses every firing, so each firing leaves exactly one record and no process.
    const { runner, clock } = setup({ schedule: '* * * * * *' }, { gate: refuseAll });
    await runner.start();
    for (let i = 0; i < 20; i++) {
      clock!.advance(400);
      await flush();
      await runner.stop();
      await runner.start();
      await runner.restart();
    }
    clock!.advance(1000);
    await flush();
    const instants = runner.history().map((r) => r.scheduledAt);
    expect(instants.length).toBeGreaterThanOrEqual(8);
    expect(new Set(instants).size).toBe(instants.length);
    expect(runner.history().every((r) => r.state === 'skipped' && r.message === 'held elsewhere')).toBe(true);
  });

  it('an instant already handled (persisted last firing) is not fired again by a new runner', async () => {
    const clock = new FakeClock(T0);
    const first = setup({ schedule: '* * * * * *' }, { gate: refuseAll }, clock);
    await first.runner.start();
    clock.advance(1000);
    await flush();
    expect(first.runner.history()).toHaveLength(1);
    // A second runner for the same task, sharing the marks (as after a reload), registered in the same second.
    const second = new CronRunner({
      spec: cronSpec({ schedule: '* * * * * *' }), paths: first.paths, history: first.history, lastFired: first.lastFired,
      scheduler: first.scheduler, clock, gate: refuseAll,
    });
    runners.push(second);
    await first.runner.dispose();
    clock.t -= 500; // the wall clock steps back half a second (NTP)
    await second.start();
    clock.advance(1500);
    await flush();
    const instants = first.history.list('test-cron').map((r) => r.scheduledAt);
    expect(new Set(instants).size).toBe(instants.length);
  });

  it('defect 13: firings missed while frozen follow catchup none: nothing runs, one skipped record says how many', async () => {
    const { runner, clock } = setup({ schedule: '0 * * * * *', catchup: 'none', command: 'true' });
    await runner.start();
    clock!.advance(60_000);
    expect(runner.history()).toMatchObject([{ trigger: 'schedule', state: 'running' }]);
    await waitFor(() => runner.history()[0]!.state === 'succeeded', 5000, 'first run');
    clock!.jump(10 * 60_000 + 30_000);
    clock!.advance(0);
    const runs = runner.history();
    expect(runs).toHaveLength(2);
    expect(runs[1]).toMatchObject({
      state: 'skipped', trigger: 'catchup', scheduledAt: T0 + 11 * 60_000,
      message: '10 missed firings while the daemon was frozen or the clock jumped not run (catchup: none)',
    });
    // and it is back on its minute
    clock!.advance(60_000);
    expect(runner.history().at(-1)).toMatchObject({ trigger: 'schedule', scheduledAt: T0 + 12 * 60_000 });
  });

  it('defect 13: catchup latest runs the newest missed firing once; all runs each, one after another', async () => {
    const latest = setup({ schedule: '0 * * * * *', catchup: 'latest', command: 'true' });
    await latest.runner.start();
    latest.clock!.jump(5 * 60_000 + 30_000);
    latest.clock!.advance(0);
    await waitFor(() => byState(latest.runner.history(), 'succeeded').length === 1, 5000, 'latest ran');
    expect(latest.runner.history().map((r) => [r.trigger, r.state, r.scheduledAt - T0])).toEqual([
      ['catchup', 'skipped', 5 * 60_000], ['catchup', 'succeeded', 5 * 60_000],
    ]);

    const all = setup({ schedule: '0 * * * * *', catchup: 'all', command: 'true' });
    await all.runner.start();
    all.clock!.jump(3 * 60_000 + 30_000);
    all.clock!.advance(0);
    await waitFor(() => byState(all.runner.history(), 'succeeded').length === 3, 5000, 'all ran');
    const runs = all.runner.history();
    expect(runs.map((r) => [r.trigger, r.scheduledAt - T0])).toEqual([['catchup', 60_000], ['catchup', 120_000], ['catchup', 180_000]]);
  });

  it('without a gate a firing starts in the scheduler tick; with one it starts when the gate says so', async () => {
    const bare = setup({ schedule: '* * * * * *', command: 'true' });
    await bare.runner.start();
    bare.clock!.advance(1000);
    expect(bare.runner.status().activeRuns).toHaveLength(1);

    let release!: (v: { ok: true }) => void;
    const gated = setup({ schedule: '* * * * * *', command: 'sleep 5' }, { gate: () => new Promise((r) => (release = r)) });
    await gated.runner.start();
    gated.clock!.advance(1000);
    expect(gated.runner.history()).toEqual([]);
    release({ ok: true });
    await flush();
    expect(gated.runner.history()).toMatchObject([{ trigger: 'schedule', state: 'running', scheduledAt: T0 + 1000 }]);
  });

  it('a gate that refuses or fails records the firing as skipped with the reason; one stopped meanwhile says so', async () => {
    const refused = setup({ schedule: '* * * * * *' }, { gate: async () => ({ ok: false, reason: 'lock_error: redis unreachable' }) });
    await refused.runner.start();
    refused.clock!.advance(1000);
    await flush();
    const failing = setup({ schedule: '* * * * * *' }, { gate: async () => Promise.reject(new Error('boom')) });
    await failing.runner.start();
    failing.clock!.advance(1000);
    await flush();
    let release!: (v: { ok: true }) => void;
    const slow = setup({ schedule: '* * * * * *' }, { gate: () => new Promise((r) => (release = r)) });
    await slow.runner.start();
    slow.clock!.advance(1000);
    await slow.runner.stop();
    release({ ok: true });
    await flush();
    expect(refused.runner.history()).toMatchObject([{ state: 'skipped', message: 'lock_error: redis unreachable' }]);
    expect(failing.runner.history()).toMatchObject([{ state: 'skipped', message: 'firing gate failed: boom' }]);
    expect(slow.runner.history()).toMatchObject([{ state: 'skipped', message: 'the task was stopped' }]);
  });

  it('a schedule edit re-registers; an edit of anything else leaves the next firing and the run alone', async () => {
    const { runner, clock } = setup({ schedule: '0 * * * * *', command: 'sleep 5' });
    await runner.start();
    expect(runner.status().nextRunAt).toBe(T0 + 60_000);
    await runner.update(cronSpec({ schedule: '*/10 * * * * *', command: 'sleep 5' }), ['schedule']);
    expect(runner.status().nextRunAt).toBe(T0 + 10_000);
    clock!.advance(10_000);
    const running = runner.status().activeRuns![0]!;
    await runner.update(cronSpec({ schedule: '*/10 * * * * *', command: 'sleep 5', description: 'x', retries: 2 }), ['description', 'retries']);
    expect(runner.status()).toMatchObject({ description: 'x', nextRunAt: T0 + 20_000, activeRuns: [{ id: running.id, state: 'running' }] });
    await runner.update(cronSpec({ schedule: '*/10 * * * * *', command: 'sleep 5', enabled: false }), ['enabled']);
    expect(runner.status()).toMatchObject({ state: 'disabled', desired: 'stopped' });
    expect(runner.status().nextRunAt).toBeUndefined();
    expect(runner.history()[0]).toMatchObject({ state: 'killed', message: 'the task was stopped' });
    await expect(runner.start()).rejects.toMatchObject({ code: 'DISABLED' });
  });
});

describe('CronRunner: triggered runs with options (real clock)', () => {
  it('env, timeout, overlap override, trigger name and tag reach the run and its record', async () => {
    const { runner, paths } = setup({ command: 'echo "x=$X"; sleep 5', overlap: 'skip' }, {}, null);
    await runner.start();
    // (2 s: each run says its x well before its timeout, however loaded the machine.)
    const a = await runner.run({ env: { X: 'one' }, timeoutMs: 2000, triggeredBy: 'xxl-job', tag: 'log-42' });
    const b = await runner.run({ overlap: 'allow', env: { X: 'two' }, timeoutMs: 2000 });
    const c = await runner.run();
    expect(a).toMatchObject({ trigger: 'manual', triggeredBy: 'xxl-job', tag: 'log-42', state: 'running' });
    expect(b.state).toBe('running');
    expect(c).toMatchObject({ state: 'skipped', message: 'previous run still going (overlap: skip)' });
    await waitFor(() => runner.history().filter((r) => r.state === 'timed-out').length === 2, 5000, 'both timed out');
    const done = runner.history().find((r) => r.id === a.id)!;
    expect(done).toMatchObject({ state: 'timed-out', tag: 'log-42', triggeredBy: 'xxl-job', message: 'timed out after 2s' });
    expect(fs.readFileSync(paths.runLog('test-cron', a.id), 'utf8')).toContain('[out] x=one');
    expect(fs.readFileSync(paths.runLog('test-cron', b.id), 'utf8')).toContain('[out] x=two');
  });

  it('a retry keeps the run options of the attempt before it', async () => {
    const { runner } = setup({ command: 'test "$X" = ok', retries: 1, retryDelayMs: 50 }, {}, null);
    await runner.start();
    await runner.run({ env: { X: 'bad' }, tag: 't' });
    await waitFor(() => runner.history().filter((r) => r.state === 'failed').length === 2, 5000, 'two attempts');
    expect(runner.history().map((r) => [r.trigger, r.attempt, r.tag])).toEqual([['manual', 1, 't'], ['retry', 2, 't']]);
  });
});

describe('CronRunner: commands racing each other', () => {
  it('start while a stop waits for a run wins: the stop is SUPERSEDED and the task stays scheduled', async () => {
    const { runner, paths } = setup({ command: TRAPPING }, {}, null);
    await runner.start();
    await runner.run();
    await trapSet(runner, paths);
    const stop = runner.stop().then(() => 'ok', (e: { code: string }) => e.code);
    await runner.start();
    expect(await stop).toBe('SUPERSEDED');
    expect(runner.status()).toMatchObject({ desired: 'running', state: 'scheduled' });
    expect(runner.history()[0]).toMatchObject({ state: 'killed', message: 'the task was stopped' });
    // and the other way round: the last stop wins
    await runner.run();
    const restart = runner.restart().then(() => 'ok', (e: { code: string }) => e.code);
    await runner.stop();
    expect(await restart).toBe('SUPERSEDED');
    expect(runner.status()).toMatchObject({ desired: 'stopped', state: 'stopped' });
  });
});

describe('CronRunner: commands racing dispose', () => {
  it('a start, restart or run while it is being disposed is refused: it leaves no registration and runs nothing', async () => {
    const { runner, scheduler, paths } = setup({ schedule: '0 0 1 1 *', overlap: 'allow', command: TRAPPING }, {}, null);
    await runner.start();
    await runner.run();
    await trapSet(runner, paths);
    const disposed = runner.dispose();
    // (the registry still holds a runner while it is removed: commands can reach it)
    await expect(runner.start()).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(runner.restart()).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(runner.run()).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await runner.stop(); // a stop is what is happening anyway
    await disposed;
    expect(scheduler.size).toBe(0);
    expect(runner.status()).toMatchObject({ desired: 'stopped', state: 'stopped' });
    expect(runner.history().map((r) => r.state)).toEqual(['killed']);
    scheduler.stop();
  });

  it('logs follow of the task ends when it is disposed', async () => {
    const { runner, scheduler } = setup({ schedule: '0 0 1 1 *' }, {}, null);
    await runner.start();
    const ends: string[] = [];
    runner.logs({}).follow(() => undefined, (why) => ends.push(why));
    await runner.dispose();
    expect(ends).toHaveLength(1);
    scheduler.stop();
  });

  it('a stop given while another stop waits: both succeed', async () => {
    const { runner, scheduler, paths } = setup({ schedule: '0 0 1 1 *', command: TRAPPING }, {}, null);
    await runner.start();
    await runner.run();
    await trapSet(runner, paths);
    const code = (p: Promise<unknown>) => p.then(() => 'ok', (e: { code: string }) => e.code);
    const first = code(runner.stop());
    const second = code(runner.stop());
    expect([await first, await second]).toEqual(['ok', 'ok']);
    expect(runner.status()).toMatchObject({ desired: 'stopped', state: 'stopped' });
    scheduler.stop();
  });
});

describe('CronRunner: faults in listeners (defect 10)', () => {
  it('a listener that throws on a run end is a warning: no unhandled rejection, and stop still returns', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      const { runner } = setup({ command: 'exit 3' }, {}, null);
      const warnings: string[] = [];
      runner.on('warning', (w: string) => warnings.push(w));
      runner.on('notify', () => {
        throw new Error('a notifier bug');
      });
      await runner.start();
      await runner.run();
      await waitFor(() => warnings.length > 0, 5000, 'warning');
      expect(warnings[0]).toMatch(/a notifier bug/);
      expect(runner.history()[0]).toMatchObject({ state: 'failed', exitCode: 3 });
      await runner.run({ overlap: 'allow' });
      await runner.stop();
      // Rejections are reported after the microtask queue drains: one macrotask turn is enough
      // (an ordering of the loop, not a time).
      await new Promise((r) => setImmediate(r));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
