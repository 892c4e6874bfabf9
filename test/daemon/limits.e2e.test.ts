import fs from 'node:fs';
import path from 'node:path';
import { homeCgroupName, parseMountinfo, parseProcCgroup } from '../../src/runtime/cgroup.js';
import { afterEach, describe, expect, it } from 'vitest';
import { fixture } from '../helpers/specs.js';
import { jobctl } from '../helpers/cli.js';
import { cleanupDaemons, makeHome, startTestDaemon, taskStatus } from '../helpers/daemon.js';
import { waitFor } from '../helpers/wait.js';

/** `limits:` through the instance's or run's cgroup; an OOM kill is reported as such. */

afterEach(async () => {
  expect(await cleanupDaemons()).toEqual([]);
});

const CAN_CGROUP = process.getuid?.() === 0 && fs.readFileSync('/proc/self/mountinfo', 'utf8').includes(' - cgroup2 ');


describe.runIf(CAN_CGROUP)('limits', () => {
  it('memory: 50MB on a process that allocates 200 MB is reported as OOM-killed and restarted by policy', async () => {
    const home = makeHome({
      'tasks/mem.yaml': `tasks:
  hog:
    command: [node, "${fixture('alloc.cjs')}", "200"]
    limits: {memory: 50MB}
    restart: on-failure
    backoff: {initial: 200ms, max: 400ms}
  hogrun:
    schedule: "0 0 1 1 *"
    command: [node, "${fixture('alloc.cjs')}", "200"]
    limits: {memory: 50MB}
`,
    });
    const d = await startTestDaemon(home);
    const t = await waitFor(async () => {
      const s = await taskStatus(d, 'hog');
      return s.restarts >= 2 && s.instances?.[0]?.lastExit?.oom ? s : undefined;
    }, 30_000, 'hog OOM-killed and restarted twice');
    const i = t!.instances![0]!;
    expect(i.lastExit).toMatchObject({ oom: true, signal: 'SIGKILL' });
    expect(fs.readFileSync(`${home}/state/logs/hog/0.log`, 'utf8')).toMatch(/OOM-killed: a process passed limits\.memory \(50(\.0)?MB\); killed by SIGKILL/);
    const detail = await jobctl(['status', 'hog'], { home });
    expect(detail.stdout).toMatch(/OOM-killed/);

    // A cron run: its record says oom, and the run failed.
    expect((await jobctl(['run', 'hogrun'], { home })).code).toBe(0);
    const run = await waitFor(async () => {
      const r = (await taskStatus(d, 'hogrun')).lastRun;
      return r && r.state !== 'running' ? r : undefined;
    }, 20_000, 'the run to end');
    expect(run!).toMatchObject({ state: 'failed', signal: 'SIGKILL' });
    expect(run!.message).toMatch(/^OOM-killed/);
  }, 60_000);

  it('pids: a fork bomb stops at the limit; memory and CPU figures come from the cgroup', async () => {
    const home = makeHome({
      'tasks/p.yaml': `tasks:
  forky:
    command: "for i in $(seq 1 30); do sleep 1000 & done; wait"
    limits: {pids: 8, cpu: 0.5}
    backoff: {initial: 200ms, max: 400ms}
  calm:
    command: [node, "${fixture('alloc.cjs')}", "20"]
`,
    });
    const d = await startTestDaemon(home);
    let most = 0;
    await waitFor(async () => {
      most = Math.max(most, fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n)).filter((n) => {
        try {
          return fs.readFileSync(`/proc/${n}/environ`, 'latin1').includes('\0JOBCTL_TASK=forky\0') &&
            fs.readFileSync(`/proc/${n}/environ`, 'latin1').includes(`\0JOBCTL_HOME=${home}\0`);
        } catch {
          return false;
        }
      }).length);
      return (await taskStatus(d, 'forky')).restarts >= 2;
    }, 20_000, 'forky failing and restarted');
    expect(most).toBeLessThanOrEqual(8);
    expect(fs.readFileSync(`${home}/state/logs/forky/0.log`, 'utf8')).toMatch(/Cannot fork/);
    // Once the 20 MB are touched (the fixture says so), a status shows them: its figures are at
    // most one sampling interval (2 s) old, so ask until one taken after the allocation comes.
    await waitFor(() => fs.existsSync(`${home}/state/logs/calm/0.log`) && fs.readFileSync(`${home}/state/logs/calm/0.log`, 'utf8').includes('allocated 20MB'), 20_000, 'calm allocated');
    const calm = await waitFor(async () => {
      const t = await taskStatus(d, 'calm');
      return t.rss !== undefined && t.rss > 20 * 1024 * 1024 && t.cpu !== undefined ? t : undefined;
    }, 15_000, 'figures with the 20 MB');
    expect(calm!.rss).toBeGreaterThan(20 * 1024 * 1024); // the 20 MB it touched are charged to its cgroup
    expect((await jobctl(['stop', '--all'], { home })).code).toBe(0);
  }, 60_000);
});

describe.runIf(CAN_CGROUP)('limits changed on a running task', () => {
  it('apply to the running instance at once, without a restart', async () => {
    const file = (limits: string) => `tasks:\n  w:\n    command: sleep 1000\n${limits}`;
    const home = makeHome({ 'tasks/w.yaml': file('') });
    const d = await startTestDaemon(home, { JOBCTL_NO_WATCH: '1' });
    await waitFor(async () => (await taskStatus(d, 'w')).instances?.[0]?.state === 'running', 10_000, 'running');
    const pid = (await taskStatus(d, 'w')).instances![0]!.pid;
    const memLeaf = v1Leaf('memory', home, 'w.i0');
    const pidsLeaf = v1Leaf('pids', home, 'w.i0');
    const read = (dir: string | undefined, f: string) => (dir && fs.existsSync(path.join(dir, f)) ? fs.readFileSync(path.join(dir, f), 'utf8').trim() : undefined);
    if (memLeaf) expect(Number(read(memLeaf, 'memory.limit_in_bytes'))).toBeGreaterThan(1e15); // unlimited
    fs.writeFileSync(path.join(home, 'tasks/w.yaml'), file('    limits: {memory: 64MB, pids: 20}\n'));
    expect((await jobctl(['reload'], { home })).code).toBe(0);
    if (memLeaf) expect(read(memLeaf, 'memory.limit_in_bytes')).toBe(String(64 * 1024 * 1024));
    if (pidsLeaf) {
      expect(read(pidsLeaf, 'pids.max')).toBe('20');
      expect(read(pidsLeaf, 'cgroup.procs')).toContain(String(pid)); // the running process moved in
    }
    fs.writeFileSync(path.join(home, 'tasks/w.yaml'), file(''));
    expect((await jobctl(['reload'], { home })).code).toBe(0);
    if (memLeaf) expect(Number(read(memLeaf, 'memory.limit_in_bytes'))).toBeGreaterThan(1e15);
    if (pidsLeaf) expect(read(pidsLeaf, 'pids.max')).toBe('max');
    const after = (await taskStatus(d, 'w')).instances![0]!;
    expect(after.pid).toBe(pid);
    expect(after.restarts).toBe(0);
  });
});

/** Where a box's v1 leaf for a controller is on a hybrid host (undefined: none here). */
function v1Leaf(controller: string, home: string, leaf: string): string | undefined {
  const mount = parseMountinfo(fs.readFileSync('/proc/self/mountinfo', 'utf8')).find((m) => m.fstype === 'cgroup' && m.options.includes(controller));
  if (!mount) return undefined;
  const own = parseProcCgroup(fs.readFileSync('/proc/self/cgroup', 'utf8'));
  const key = [...own.keys()].find((k) => k.split(',').includes(controller));
  return path.join(mount.point, key !== undefined ? own.get(key)! : '/', homeCgroupName(home), leaf);
}

describe('limits without cgroups', () => {
  it('say in the log that they are not in force, and the task runs', async () => {
    const home = makeHome({ 'tasks/a.yaml': 'tasks:\n  a:\n    command: sleep 1000\n    limits: {memory: 50MB}\n' });
    const d = await startTestDaemon(home, { JOBCTL_CGROUPS: 'off' });
    await waitFor(async () => (await taskStatus(d, 'a')).instances?.[0]?.state === 'running', 10_000, 'running');
    expect(fs.readFileSync(`${home}/state/logs/a/0.log`, 'utf8')).toMatch(/limits are not in force: process groups/);
  });
});
