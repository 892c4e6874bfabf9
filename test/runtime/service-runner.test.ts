import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { TAIL_BUDGET_BYTES } from '../../src/runtime/log-read.js';
import { ServiceRunner } from '../../src/runtime/service-runner.js';
import type { TaskNotice } from '../../src/runtime/task-runner.js';
import type { InstanceStatus } from '../../src/runtime/instance-driver.js';
import { MetricsSampler } from '../../src/runtime/metrics.js';
import { StateStore } from '../../src/runtime/state-store.js';
import { homePaths } from '../../src/shared/paths.js';
import type { ServiceTaskSpec } from '../../src/shared/types.js';
import { serviceSpec, fixture } from '../helpers/specs.js';
import { tempDir } from '../helpers/temp.js';
import { killGroup, livePids, waitFor } from '../helpers/wait.js';

const temps: Array<() => void> = [];
const tasks: ServiceRunner[] = [];
const groups = new Set<number>();
afterEach(async () => {
  await Promise.all(tasks.splice(0).map((t) => t.dispose()));
});
afterAll(() => {
  // No test leaves a process behind.
  const left = [...groups].filter((g) => livePids(g).length > 0);
  left.forEach(killGroup);
  temps.forEach((c) => c());
  expect(left).toEqual([]);
});

function home(): ReturnType<typeof homePaths> {
  const t = tempDir();
  temps.push(t.cleanup);
  return homePaths(t.dir);
}

function makeTask(over: Partial<ServiceTaskSpec>, extra: { sampler?: MetricsSampler; store?: StateStore; paths?: ReturnType<typeof homePaths> } = {}) {
  const paths = extra.paths ?? home();
  const states: Array<InstanceStatus & { at: number }> = [];
  const notices: TaskNotice[] = [];
  const task = new ServiceRunner({ spec: serviceSpec(over), paths, ...extra });
  task.on('instance', (s: InstanceStatus) => {
    states.push({ ...s, at: Date.now() });
    if (s.pid) groups.add(s.pid);
  });
  task.on('notify', (n: TaskNotice) => notices.push(n));
  tasks.push(task);
  return { task, paths, states, notices };
}

const logOf = (paths: ReturnType<typeof homePaths>, task: string, i: number) => {
  try {
    return fs.readFileSync(paths.instanceLog(task, i), 'utf8');
  } catch {
    return '';
  }
};

describe('logs of a task with many instances', () => {
  it('one read budget per request across all instances, not one per instance', () => {
    const { task, paths } = makeTask({ name: 'wide', instances: 8 });
    const line = (i: number, k: number) => `${String(i)}:${String(k).padStart(6, '0')} ${'z'.repeat(16 * 1024)}`;
    for (let i = 0; i < 8; i++) {
      const file = paths.instanceLog('wide', i);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, Array.from({ length: 96 }, (_, k) => line(i, k)).join('\n') + '\n'); // ~1.5 MB each
    }
    const parts = task.logs({}).read(100_000, true);
    const bytes = parts.reduce((a, p) => a + p.lines.reduce((b, l) => b + l.length + 1, 0), 0);
    // Each line carries a short instance tag ("#7 ") beyond what was read from disk.
    expect(bytes).toBeLessThanOrEqual(TAIL_BUDGET_BYTES + 8 * 64);
    expect(parts.some((p) => p.capped)).toBe(true);
    // Every instance has its newest lines in the answer, not only the first one read.
    const all = parts.flatMap((p) => p.lines);
    for (let i = 0; i < 8; i++) expect(all.some((l) => l.startsWith(`#${i} ${i}:000095 `))).toBe(true);
  });
});

describe('service task supervision (real processes)', () => {
  it('restarts a crashing process with growing delays, then goes fatal and notifies', async () => {
    const { task, states, notices } = makeTask({
      command: fixture('crash.sh'), backoff: { initialMs: 200, maxMs: 800 }, maxRestarts: 3, startMs: 1000,
    });
    task.start();
    await waitFor(() => task.instances()[0]!.state === 'fatal', 10_000, 'fatal');
    const backoffs = states.filter((s) => s.state === 'backoff').map((s) => s.retryAt! - s.at);
    expect(backoffs).toHaveLength(3);
    // 200, 400, 800 ms, each jittered down by at most 25% (and a few ms of bookkeeping)
    expect(backoffs[0]).toBeGreaterThanOrEqual(140);
    expect(backoffs[0]).toBeLessThanOrEqual(205);
    expect(backoffs[1]).toBeGreaterThanOrEqual(290);
    expect(backoffs[2]).toBeGreaterThanOrEqual(590);
    expect(backoffs[2]!).toBeGreaterThan(backoffs[1]!);
    // the starts really were that far apart
    const starts = states.filter((s) => s.state === 'starting' && s.pid === undefined).map((s) => s.at);
    expect(starts).toHaveLength(4);
    expect(starts[3]! - starts[2]!).toBeGreaterThanOrEqual(590);
    const fatal = task.instances()[0]!;
    expect(fatal.message).toMatch(/exited with code 3; gave up after 3 restarts within 60s/);
    expect(notices.map((n) => n.event)).toEqual(['failure', 'failure', 'failure', 'fatal']);
    expect(notices[0]).toMatchObject({ task: 'test-task', instance: 0, exitCode: 3 });
  });

  it('stops a SIGTERM-ignoring process with grandchildren: whole group gone within stop_timeout + 1s', async () => {
    const { task, paths } = makeTask({ command: fixture('ignore-term.sh'), stopTimeoutMs: 1000, startMs: 100 });
    task.start();
    await waitFor(() => logOf(paths, 'test-task', 0).includes('ready'), 5000, 'ready');
    const pgid = task.instances()[0]!.pid!;
    await waitFor(() => livePids(pgid).length >= 4, 5000, 'grandchildren');
    const t0 = Date.now();
    await task.stop();
    const took = Date.now() - t0;
    expect(livePids(pgid)).toEqual([]);
    // It ended at stop_timeout, not never (a generous guard: under load the kill and the reaping are slow).
    expect(took).toBeLessThan(1000 + 10_000);
    expect(took).toBeGreaterThanOrEqual(900); // it really had to wait for SIGKILL
    expect(task.instances()[0]!.state).toBe('stopped');
    expect(logOf(paths, 'test-task', 0)).toMatch(/\[jobctl\] stop_timeout \(1000ms\) passed: SIGKILL to the process group/);
  });

  it('runs 3 instances with distinct JOBCTL_INSTANCE, env, env_file and cwd', async () => {
    const paths = home();
    const envFile = path.join(paths.home, 'app.env');
    fs.writeFileSync(envFile, 'FROM_FILE=dotenv\nCUSTOM=overridden-by-env\n');
    const { task } = makeTask({
      command: fixture('print-env.sh'), instances: 3, env: { CUSTOM: 'yes' }, envFile, cwd: '/tmp', startMs: 100,
    }, { paths });
    task.start();
    for (const i of [0, 1, 2]) {
      await waitFor(() => logOf(paths, 'test-task', i).includes('task='), 5000, `instance ${i} output`);
      expect(logOf(paths, 'test-task', i)).toMatch(
        new RegExp(`\\[out\\] task=test-task instance=${i} run= custom=yes fromfile=dotenv cwd=/tmp uid=\\d+`),
      );
    }
    const pids = task.instances().map((s) => s.pid);
    expect(new Set(pids).size).toBe(3);
    await task.stop();
    for (const i of [0, 1, 2]) expect(logOf(paths, 'test-task', i)).toContain('[out] got TERM');
  });

  it('recycles an instance after max_lifetime', async () => {
    const { task } = makeTask({ command: 'sleep 1000', maxLifetimeMs: 700, startMs: 100 });
    task.start();
    await waitFor(() => task.instances()[0]!.state === 'running', 3000, 'running');
    const firstPid = task.instances()[0]!.pid;
    await waitFor(() => {
      const s = task.instances()[0]!;
      return s.state === 'running' && s.pid !== firstPid;
    }, 5000, 'recycled');
    const s = task.instances()[0]!;
    expect(s.restarts).toBeGreaterThanOrEqual(1);
    expect(livePids(firstPid!)).toEqual([]);
  });

  it('recycles an instance whose process tree passes max_memory', async () => {
    const sampler = new MetricsSampler(200);
    sampler.start();
    try {
      const { task, states, paths } = makeTask({
        command: [process.execPath, fixture('alloc.cjs'), '200'], maxMemory: 120 * 1024 * 1024, startMs: 100,
      }, { sampler });
      task.start();
      await waitFor(() => states.some((s) => s.state === 'stopping' && /max_memory/.test(s.message ?? '')), 15_000, 'memory recycle');
      const msg = states.find((s) => s.state === 'stopping')!.message!;
      expect(msg).toMatch(/^max_memory: \d+MB > 120MB$/);
      await waitFor(() => task.instances()[0]!.state !== 'stopping', 5000, 'restarted');
      expect(logOf(paths, 'test-task', 0)).toMatch(/\[jobctl\] recycling: max_memory/);
    } finally {
      sampler.stop();
    }
  });

  it('reports CPU and RSS per instance', async () => {
    const sampler = new MetricsSampler(100);
    const { task } = makeTask({ command: 'sleep 1000', startMs: 50 }, { sampler });
    task.start();
    await waitFor(() => task.instances()[0]!.pid, 2000, 'pid');
    // Sampled until a second sample (CPU needs two, some time apart) has given both figures.
    await waitFor(() => {
      sampler.sampleNow();
      const i = task.instances()[0]!;
      return i.rss !== undefined && i.rss > 0 && i.cpu !== undefined;
    }, 10_000, 'CPU and RSS sampled');
    const s = task.instances()[0]!;
    expect(s.rss).toBeGreaterThan(100 * 1024);
    expect(s.cpu).toBeGreaterThanOrEqual(0);
  });

  it('captures a 200,000-line burst with no line lost across rotations (timestamps on)', async () => {
    const { task, paths } = makeTask({
      command: [process.execPath, fixture('flood.cjs'), '200000'], restart: 'never', startMs: 50,
      logs: { maxSize: 4 * 1024 * 1024, keep: 20, timestamps: true },
    });
    task.start();
    await waitFor(() => task.instances()[0]!.state === 'exited', 30_000, 'flood done');
    await task.dispose();
    const file = paths.instanceLog('test-task', 0);
    const dir = path.dirname(file);
    const rotated = fs.readdirSync(dir).filter((f) => /^0\.log\.\d+$/.test(f)).sort((a, b) => Number(b.split('.').pop()) - Number(a.split('.').pop()));
    expect(rotated.length).toBeGreaterThanOrEqual(5);
    const text = [...rotated.map((f) => path.join(dir, f)), file].map((f) => fs.readFileSync(f, 'utf8')).join('');
    const out = text.split('\n').filter((l) => l.includes(' [out] '));
    expect(out).toHaveLength(200_000);
    for (let i = 0; i < out.length; i += 1) {
      if (!out[i]!.includes(`[out] line ${String(i).padStart(9, '0')} `)) throw new Error(`line ${i} is wrong: ${out[i]}`);
    }
    expect(out[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \[out\] line 000000000 x+$/);
  });

  it('writes raw bytes with timestamps off, byte for byte', async () => {
    const { task, paths } = makeTask({
      command: [process.execPath, fixture('flood.cjs'), '50000'], restart: 'never', startMs: 50,
      logs: { maxSize: 1e9, keep: 1, timestamps: false },
    });
    task.start();
    await waitFor(() => task.instances()[0]!.state === 'exited', 30_000, 'flood done');
    await task.dispose();
    const text = fs.readFileSync(paths.instanceLog('test-task', 0), 'utf8');
    expect(text.length).toBe(50_000 * 100);
    expect(text.slice(0, 100)).toBe(`line 000000000 ${'x'.repeat(84)}\n`);
  });

  it('a spawn failure is a state with a message, not a crash', async () => {
    const { task, paths } = makeTask({ command: ['/nonexistent/worker'], restart: 'never' });
    task.start();
    // (the start is handed over: its failure arrives a moment later)
    await waitFor(() => task.instances()[0]!.state !== 'starting', 10_000, 'the failed start');
    const s = task.instances()[0]!;
    expect(s.state).toBe('exited');
    expect(s.message).toBe('command not found or not executable: /nonexistent/worker');
    const bad = makeTask({ command: 'true', cwd: '/nonexistent/dir', restart: 'on-failure', backoff: { initialMs: 5000, maxMs: 5000 } });
    bad.task.start();
    await waitFor(() => bad.task.instances()[0]!.state !== 'starting', 10_000, 'the failed start');
    expect(bad.task.instances()[0]).toMatchObject({ state: 'backoff', message: 'cwd /nonexistent/dir does not exist or is not a directory' });
    expect(logOf(paths, 'test-task', 0)).toContain('[jobctl] could not start: command not found or not executable: /nonexistent/worker');
  });

  it('a shell command that is not found exits 127 with a clear message', async () => {
    const { task } = makeTask({ command: 'no-such-command-jobctl', restart: 'never', startMs: 1000 });
    task.start();
    await waitFor(() => task.instances()[0]!.state === 'exited', 5000, 'exited');
    expect(task.instances()[0]!.message).toBe('exited with code 127 (command not found)');
  });

  it('runs as another user when root, or says plainly that it needs root', async () => {
    const { task, paths } = makeTask({ command: fixture('print-env.sh'), runAs: { user: 'nobody' }, startMs: 50, restart: 'never', cwd: '/' });
    task.start();
    if (process.getuid?.() === 0) {
      await waitFor(() => logOf(paths, 'test-task', 0).includes('uid='), 5000, 'output');
      expect(logOf(paths, 'test-task', 0)).toMatch(/uid=65534/);
    } else {
      expect(task.instances()[0]!.message).toMatch(/needs a root daemon/);
    }
  });

  it('a process that exits leaving 50 grandchildren: the group is cleared before the restart', async () => {
    const { task, states } = makeTask({ command: `${fixture('fork-many.sh')} 50`, restart: 'never', stopTimeoutMs: 500 });
    task.start();
    const pgid = (await waitFor(() => task.instances()[0]!.pid, 10_000, 'the pid'))!;
    await waitFor(() => task.instances()[0]!.state === 'exited', 5000, 'exited');
    expect(livePids(pgid)).toEqual([]);
    expect(states.at(-1)!.lastExit).toMatchObject({ code: 0 });
  });

  it('a child that closes its output but keeps running is still supervised and stopped', async () => {
    const { task, paths } = makeTask({ command: fixture('close-stdout.sh'), startMs: 100, stopTimeoutMs: 1000 });
    task.start();
    await waitFor(() => task.instances()[0]!.state === 'running', 3000, 'running');
    const pgid = task.instances()[0]!.pid!;
    // It has closed its output (its last line came, then the close): the same process still runs.
    await waitFor(() => logOf(paths, 'test-task', 0).includes('[out] closing my output'), 10_000, 'output closed');
    expect(task.instances()[0]!.state).toBe('running');
    expect(task.instances()[0]!.pid).toBe(pgid);
    await task.stop();
    expect(livePids(pgid)).toEqual([]);
    expect(logOf(paths, 'test-task', 0)).toContain('[out] closing my output');
  });

  it('records live children in the store and removes them on exit', async () => {
    const paths = home();
    const store = await StateStore.open(paths.db, { writeDelayMs: 10 });
    const { task } = makeTask({ command: 'sleep 1000', instances: 2, startMs: 50 }, { store, paths });
    task.start();
    await waitFor(() => task.instances().every((i) => i.pid !== undefined), 10_000, 'both pids');
    expect(Object.keys(store.children()).sort()).toEqual(['test-task/0', 'test-task/1']);
    expect(store.children()['test-task/0']!.startTime).toBeGreaterThan(0);
    await task.stop();
    expect(store.children()).toEqual({});
    await store.close();
  });

  it('scales up and down by index, stopping the highest first', async () => {
    const { task } = makeTask({ command: 'sleep 1000', instances: 1, startMs: 50 });
    task.start();
    await task.setCount(3);
    expect(task.instances().map((i) => i.state)).toEqual(['starting', 'starting', 'starting']);
    const third = (await waitFor(() => task.instances()[2]!.pid, 10_000, 'the third pid'))!;
    await task.setCount(2);
    expect(task.instances().map((i) => i.index)).toEqual([0, 1]);
    expect(livePids(third)).toEqual([]);
  });

  it('a runner being disposed (task removed, kind changed) takes no command: nothing starts that nobody supervises', async () => {
    const { task } = makeTask({ command: "trap '' TERM; sleep 1000", startMs: 50, stopTimeoutMs: 1500 });
    await task.start();
    await waitFor(() => task.instances()[0]!.state === 'running', 5000, 'running');
    const disposing = task.dispose();
    await expect(task.setCount(3)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(task.start()).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(task.restart()).rejects.toMatchObject({ code: 'NOT_FOUND' });
    // ("run now" of a service is a start, done by the registry's lifecycle: no run() here.)
    await disposing;
    expect(task.instances()).toEqual([]);
  });

  it('a follower of the task gets the instances a scale up adds, and is told when the task goes', async () => {
    const cmd = 'while true; do echo "hi from $JOBCTL_INSTANCE"; sleep 0.1; done';
    const { task } = makeTask({ name: 'talk', command: cmd, startMs: 50 });
    await task.start();
    const seen = new Set<string>();
    const ended: string[] = [];
    task.logs({}).follow((sink) => sink.on('data', (b: Buffer) => {
      for (const m of b.toString().matchAll(/hi from (\d)/g)) seen.add(m[1]!);
    }), (reason) => ended.push(reason));
    await task.setCount(3);
    await waitFor(() => seen.size === 3, 5000, 'output of the 3 instances');
    await task.dispose();
    expect(ended).toHaveLength(1);
  });

  it('a logs edit applies to the running instances in place: no restart, the new limits rotate', async () => {
    const cmd = 'while true; do echo xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; sleep 0.02; done';
    const { task, paths } = makeTask({ name: 'chatty', command: cmd, startMs: 50 });
    await task.start();
    await waitFor(() => task.instances()[0]!.state === 'running', 5000, 'running');
    const pid = task.instances()[0]!.pid;
    const logs = { ...task.spec.logs, maxSize: 2000, keep: 1 };
    expect(await task.update({ ...task.spec, logs }, ['logs'])).toBe(true);
    await waitFor(() => fs.existsSync(`${paths.instanceLog('chatty', 0)}.1`), 5000, 'rotated at the new size');
    expect(task.instances()[0]!.pid).toBe(pid);
    expect(task.instances()[0]!.restarts).toBe(0);
  });

  it('scale down then up: an index never has two processes; stop waits for retiring instances too', async () => {
    const cmd = "trap '' TERM; while true; do sleep 0.1; done";
    const { task } = makeTask({ command: cmd, instances: 2, startMs: 50, stopTimeoutMs: 1500 });
    await task.start();
    await waitFor(() => task.instances().every((i) => i.state === 'running'), 5000, 'both running');
    const old = task.instances()[1]!.pid!;
    const shrinking = task.setCount(1);
    // The count goes up again while #1 is still retiring (it ignores SIGTERM for 1.5 s).
    await waitFor(() => task.instances()[1]?.state === 'stopping', 10_000, '#1 retiring');
    await task.setCount(2);
    // The old #1 ignores SIGTERM: until it is gone, no new #1 may run beside it. Sampled until
    // it is gone (SIGKILL after stop_timeout), however long that takes here.
    const overlap: number[] = [];
    await waitFor(() => {
      const pid = task.instances()[1]?.pid;
      if (pid !== undefined && pid !== old && livePids(pid).length > 0 && livePids(old).length > 0) overlap.push(pid);
      return livePids(old).length === 0;
    }, 20_000, 'the old #1 gone');
    expect(overlap).toEqual([]);
    await shrinking;
    await waitFor(() => task.instances()[1]?.state === 'running' && task.instances()[1]!.pid !== old, 8000, 'new #1 running');
    expect(livePids(old)).toEqual([]);

    // Shrink, then stop at once: stop returns only when the retiring instance is gone too.
    const retiring = task.instances()[1]!.pid!;
    void task.setCount(1);
    await task.stop();
    expect(livePids(retiring)).toEqual([]);
  });
});

describe('ServiceRunner: commands racing dispose and each other', () => {
  const SLOW_STOP = "trap 'sleep 0.5; exit 0' TERM; while true; do sleep 0.1; done";

  it('a start or a new count while it is being disposed is refused: no instance outlives dispose()', async () => {
    const { task } = makeTask({ command: SLOW_STOP });
    await task.start();
    await waitFor(() => task.status().running === 1, 5000, 'running');
    const disposed = task.dispose();
    // (the registry still holds a runner while it is removed: commands can reach it)
    await expect(task.start()).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(task.setCount(2)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(task.restart()).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await disposed;
    // A lower bound, kept on purpose: nothing starts after dispose (load only weakens it).
    await new Promise((r) => setTimeout(r, 400));
    expect(task.status()).toMatchObject({ desired: 'stopped', instances: [] });
  });

  it('while it is being disposed its instances show as stopping, not gone (the registry shows a removed task until its processes are)', async () => {
    const { task } = makeTask({ command: SLOW_STOP, instances: 2 });
    await task.start();
    await waitFor(() => task.status().running === 2, 5000, 'running');
    const disposed = task.dispose();
    // Both got SIGTERM and trap it for 0.5 s: they show as stopping meanwhile.
    await waitFor(() => task.status().instances!.every((i) => i.state === 'stopping'), 10_000, 'both stopping');
    expect(task.status()).toMatchObject({ state: 'stopping', desired: 'stopped' });
    expect(task.status().instances!.map((i) => i.state)).toEqual(['stopping', 'stopping']);
    await disposed;
    expect(task.status().instances).toEqual([]);
  });

  it('logs follow: an instance added by a new count is followed too; dispose ends the follow', async () => {
    const { task } = makeTask({ command: 'while true; do echo "i=$JOBCTL_INSTANCE"; sleep 0.1; done' });
    await task.start();
    const seen = new Set<number | undefined>();
    const ends: string[] = [];
    task.logs({}).follow((sink, origin) => sink.on('data', () => seen.add(origin.instance ?? 0)), (why) => ends.push(why));
    await task.setCount(2);
    await waitFor(() => seen.has(1), 5000, 'output of the new instance');
    await task.dispose();
    expect(ends).toHaveLength(1);
  });

  it('a stop given while another stop waits: both succeed (the task is stopped as each asked)', async () => {
    const { task } = makeTask({ command: SLOW_STOP, instances: 2 });
    await task.start();
    await waitFor(() => task.status().running === 2, 5000, 'running');
    const code = (p: Promise<unknown>) => p.then(() => 'ok', (e: { code: string }) => e.code);
    const first = code(task.stop());
    await waitFor(() => task.status().instances!.some((i) => i.state === 'stopping'), 10_000, 'the first stop under way');
    const second = code(task.stop());
    expect([await first, await second]).toEqual(['ok', 'ok']);
    expect(task.status()).toMatchObject({ desired: 'stopped', running: 0, state: 'stopped' });
    // a stop that a start overrode still fails
    await task.start();
    await waitFor(() => task.status().running === 2, 5000, 'running again');
    const lost = code(task.stop());
    await waitFor(() => task.status().instances!.some((i) => i.state === 'stopping'), 10_000, 'the stop under way');
    await task.start();
    expect(await lost).toBe('SUPERSEDED');
  });

  it('a start given before a stop\'s turn keeps the instances running: no process stopped, none restarted', async () => {
    const { task } = makeTask({ name: 'keep', command: ['sleep', '60'], instances: 3 });
    await task.start();
    await waitFor(() => task.status().running === 3, 5000, 'running');
    const pids = task.status().instances!.map((i) => i.pid);
    const code = (p: Promise<unknown>) => p.then(() => 'ok', (e: { code: string }) => e.code);
    // The stops go in turns of the loop: the start comes in the same turn, before any of them.
    const stopped = code(task.stop());
    await task.start();
    expect(await stopped).toBe('SUPERSEDED');
    expect(task.status().instances!.map((i) => [i.state, i.pid])).toEqual(pids.map((p) => ['running', p]));
    // And a stop given before a restart's turn wins over it: nothing restarts.
    const restarted = task.restart();
    await task.stop();
    await restarted;
    expect(task.status()).toMatchObject({ running: 0, state: 'stopped' });
    expect(pids.every((p) => livePids(p!).length === 0)).toBe(true);
  });

  it('the stops of 300 instances go in turns of the loop: other callbacks run between them', async () => {
    const { task } = makeTask({ name: 'many', command: ['sleep', '60'], instances: 300, stopTimeoutMs: 5000 });
    await task.start();
    await waitFor(() => task.status().running === 300, 60_000, '300 running');
    let turns = 0;
    let counting = true;
    const count = () => {
      turns++;
      if (counting) setImmediate(count);
    };
    setImmediate(count);
    const signalled: number[] = [];
    task.on('instance', (s: InstanceStatus) => {
      if (s.state === 'stopping') signalled.push(turns);
    });
    await task.stop();
    counting = false;
    expect(signalled).toHaveLength(300);
    // Not all in one phase of the loop (as before: ~500 ms of it at 1,000): spread over several turns.
    expect(new Set(signalled).size).toBeGreaterThan(1);
    expect(task.status()).toMatchObject({ running: 0, state: 'stopped' });
  }, 120_000);
});
