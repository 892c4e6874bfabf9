import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { homeCgroupName, parseMountinfo, parseProcCgroup } from '../../src/runtime/cgroup.js';
import { processesWithEnv } from '../../src/runtime/process/env-scan.js';
import { listProcesses } from '../../src/runtime/proc.js';
import { jobctl } from '../helpers/cli.js';
import { cleanupDaemons, makeHome, startTestDaemon, taskStatus } from '../helpers/daemon.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Issue 13: a task's `setsid` grandchild must not outlive a stop, a `down`, or a daemon
 * killed with -9 and started again; and a task that leaves one behind and exits must not
 * leak one per restart. Both with cgroups and with them forced off.
 */

afterEach(async () => {
  expect(await cleanupDaemons()).toEqual([]);
});

function cmdlineOf(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

/** `sleep <n>` processes, live (the marker is an argument only these have). */
function sleeping(n: string): number[] {
  return listProcesses().filter((p) => {
    if (p.state === 'Z' || p.state === 'X') return false;
    try {
      return fs.readFileSync(`/proc/${p.pid}/cmdline`, 'utf8') === `sleep\0${n}\0`;
    } catch {
      return false;
    }
  }).map((p) => p.pid);
}

/**
 * Every live process any task of this home started, whatever its command: all of them carry
 * JOBCTL_HOME and JOBCTL_TASK (the daemon has only the first; a zombie's environ is empty).
 */
const ofHome = (home: string): number[] => processesWithEnv([`\0JOBCTL_HOME=${home}\0`, '\0JOBCTL_TASK=']);

/** The v2 cgroup directory this host would give a home (for the "removed" checks). */
function homeCgroupDir(home: string): string | undefined {
  const v2 = parseMountinfo(fs.readFileSync('/proc/self/mountinfo', 'utf8')).find((m) => m.fstype === 'cgroup2');
  const own = parseProcCgroup(fs.readFileSync('/proc/self/cgroup', 'utf8')).get('');
  return v2 && own !== undefined ? path.join(v2.point, own, homeCgroupName(home)) : undefined;
}


/** Resolves when the daemon's process has exited (an event, not a time). */
function exitOf(d: { child: import('node:child_process').ChildProcess }): Promise<void> {
  if (d.child.exitCode !== null || d.child.signalCode !== null) return Promise.resolve();
  return new Promise((r) => d.child.once('exit', () => r()));
}

/** `start --all`: the leaver fails by design (exit 3 before start_seconds), the keeper must start. */
async function startAll(home: string): Promise<void> {
  const r = await jobctl(['start', '--all'], { home });
  expect(r.stdout).toMatch(/keeper: running/);
  expect(r.code === 0 || /leaver: (backoff|starting)/.test(r.stdout), r.stdout + r.stderr).toBe(true);
}

const CAN_CGROUP = process.getuid?.() === 0 && fs.existsSync('/proc/self/mountinfo') &&
  fs.readFileSync('/proc/self/mountinfo', 'utf8').includes(' - cgroup2 ');

// Each containment on each spawner: the native one (vfork, joins its cgroups itself) and the
// child_process fallback (the join shell and setpriv) keep the same guarantees.
const MODES = [
  { name: 'cgroups', env: {} as Record<string, string>, cgroups: true },
  { name: 'JOBCTL_CGROUPS=off', env: { JOBCTL_CGROUPS: 'off' }, cgroups: false },
  { name: 'cgroups, JOBCTL_SPAWNER=child_process', env: { JOBCTL_SPAWNER: 'child_process' }, cgroups: true },
  { name: 'JOBCTL_CGROUPS=off, JOBCTL_SPAWNER=child_process', env: { JOBCTL_CGROUPS: 'off', JOBCTL_SPAWNER: 'child_process' }, cgroups: false },
].filter((m) => !m.cgroups || CAN_CGROUP);

describe.each(MODES)('no stray process ($name)', (mode) => {
  it('stop, down and kill -9 + up leave none of a setsid grandchild, after 10 restarts', async () => {
    const base = String(7_500_000 + Math.floor(Math.random() * 400_000) * 2);
    const keep = base; // the escapee of the task that keeps running
    const left = String(Number(base) + 1); // the escapee of the task that exits
    const home = makeHome({
      'tasks/esc.yaml': `tasks:
  keeper:
    command: "setsid sleep ${keep} & exec sleep 100000"
    restart: always
    start_seconds: 100ms
    stop_timeout: 3s
  leaver:
    command: "setsid sleep ${left} & sleep 0.5; exit 3"
    restart: always
    start_seconds: 10s
    backoff: {initial: 50ms, max: 100ms}
    max_restarts: 10000
    start_retries: 10000
    stop_timeout: 3s
`,
    });
    const env = { ...mode.env, JOBCTL_NO_WATCH: '1' };
    let d = await startTestDaemon(home, env);
    const cgroupDir = mode.cgroups ? homeCgroupDir(home) : undefined;
    if (!mode.cgroups) expect(fs.existsSync(homeCgroupDir(home) ?? '/nonexistent')).toBe(false);
      // line 0 is the home line, line 1 the containment in force
    if (mode.cgroups) {
      // In plain words; the paths with --verbose (issue 30).
      expect((await jobctl(['status'], { home })).stdout.split('\n')[1]).toMatch(/^cgroups: (v2|hybrid v1\/v2); /);
      expect((await jobctl(['status', '--verbose'], { home })).stdout.split('\n')[1]).toMatch(/^containment: cgroup v2 \(/);
    } else {
      expect((await jobctl(['status'], { home })).stdout.split('\n')[1]).toBe('no cgroups: process groups contain the tasks; limits are not enforced (`status --verbose` says why)');
      expect((await jobctl(['status', '-v'], { home })).stdout.split('\n')[1]).toMatch(/^containment: process groups \(no cgroup delegation: see docs\/running\.md; JOBCTL_CGROUPS=off\)/);
    }

    // 10 restarts of each: the leaver by itself, the keeper by hand. At most the current
    // instance's escapee is alive at any time.
    for (let i = 0; i < 10; i++) {
      expect((await jobctl(['restart', 'keeper'], { home })).code).toBe(0);
      expect(sleeping(keep).length).toBeLessThanOrEqual(1);
    }
    await waitFor(async () => (await taskStatus(d, 'leaver')).restarts >= 10, 60_000, 'leaver restarted 10 times');
    await waitFor(async () => (await taskStatus(d, 'keeper')).instances?.[0]?.state === 'running', 10_000, 'keeper running');
    await waitFor(() => sleeping(keep).length === 1, 5000, 'one keeper escapee');
    expect(sleeping(left).length).toBeLessThanOrEqual(1);
    expect((await taskStatus(d, 'keeper')).restarts).toBeGreaterThanOrEqual(10);

    // stop: by name, @group and --all.
    expect((await jobctl(['stop', 'keeper'], { home })).code).toBe(0);
    expect(sleeping(keep)).toEqual([]);
    expect((await jobctl(['stop', '@esc'], { home })).code).toBe(0);
    expect(sleeping(left)).toEqual([]);
    await startAll(home);
    await waitFor(() => sleeping(keep).length === 1 && sleeping(left).length >= 1, 20_000, 'escapees back');
    expect((await jobctl(['stop', '--all'], { home })).code).toBe(0);
    expect([...sleeping(keep), ...sleeping(left)]).toEqual([]);
    expect(ofHome(home)).toEqual([]);
    if (cgroupDir) expect(fs.readdirSync(cgroupDir).filter((f) => fs.statSync(path.join(cgroupDir, f)).isDirectory())).toEqual([]);

    // down
    await startAll(home);
    await waitFor(() => sleeping(keep).length === 1 && sleeping(left).length >= 1, 20_000, 'escapees back');
    const down = await jobctl(['down'], { home });
    expect(down.code, down.stderr).toBe(0);
    await exitOf(d); // `down` returns once the lock and socket are gone; the process ends just after
    expect([...sleeping(keep), ...sleeping(left)]).toEqual([]);
    expect(ofHome(home)).toEqual([]);
    if (cgroupDir) expect(fs.existsSync(cgroupDir)).toBe(false);

    // kill -9, then up: pdeathsig takes the direct children, the escapees survive until the
    // next daemon's start-up sweep.
    d = await startTestDaemon(home, env);
    await waitFor(() => sleeping(keep).length === 1 && sleeping(left).length >= 1, 20_000, 'escapees up');
    const killed = exitOf(d);
    d.child.kill('SIGKILL');
    await killed;
    // pdeathsig ends the daemon's direct children (the keeper's `sleep 100000`); the escapees live on.
    await waitFor(() => !ofHome(home).some((pid) => cmdlineOf(pid) === 'sleep\x00100000\x00'), 20_000, 'the direct children gone with the daemon');
    const survivors = [...sleeping(keep), ...sleeping(left)];
    expect(survivors.length).toBeGreaterThanOrEqual(1);
    d = await startTestDaemon(home, env);
    expect(survivors.filter((pid) => sleeping(keep).includes(pid) || sleeping(left).includes(pid))).toEqual([]);
    expect(d.output()).toMatch(/stopped \d+ process\(es\) left by a previous daemon/);
    expect((await jobctl(['down'], { home })).code).toBe(0);
    await exitOf(d);
    expect([...sleeping(keep), ...sleeping(left)]).toEqual([]);
    expect(ofHome(home)).toEqual([]);
    if (cgroupDir) expect(fs.existsSync(cgroupDir)).toBe(false);
  }, 180_000);
});

describe.runIf(CAN_CGROUP)('cron run leaves', () => {
  it('kept between firings, gone when the task is stopped (a stopped task holds no empty cgroup)', async () => {
    const home = makeHome({ 'tasks/c.yaml': 'tasks:\n  tick:\n    schedule: "* * * * * *"\n    command: ["true"]\n' });
    const d = await startTestDaemon(home);
    const cgroupDir = homeCgroupDir(home)!;
    const leaves = () => (fs.existsSync(cgroupDir) ? fs.readdirSync(cgroupDir).filter((f) => fs.statSync(path.join(cgroupDir, f)).isDirectory()) : []);
    await waitFor(async () => ((await taskStatus(d, 'tick')).lastRun?.state === 'succeeded'), 20_000, 'a run done');
    await waitFor(() => leaves().some((l) => l.startsWith('tick.s')), 20_000, 'a run leaf kept for the next firing');
    expect((await jobctl(['stop', 'tick'], { home })).code).toBe(0);
    expect(leaves()).toEqual([]);
    expect((await jobctl(['down'], { home })).code).toBe(0);
    await exitOf(d);
  }, 60_000);
});
