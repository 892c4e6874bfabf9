import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { groupProcs, homeCgroupName, parseMountinfo, parseProcCgroup, probeCgroups } from '../../../src/runtime/cgroup.js';
import { Containment, leafName, signalLeavers } from '../../../src/runtime/process/contain.js';
import { processesWithEnv } from '../../../src/runtime/process/env-scan.js';
import { listProcesses } from '../../../src/runtime/proc.js';
import { startProcess } from '../../../src/runtime/process/handle.js';
import { spawnProcess } from '../../../src/runtime/process/start.js';
import { tempDir } from '../../helpers/temp.js';
import { killGroup, waitFor } from '../../helpers/wait.js';

const temps: Array<() => void> = [];
const groups: number[] = [];
const homes: string[] = [];
afterAll(async () => {
  groups.forEach(killGroup);
  for (const h of homes) {
    const c = Containment.open(h);
    await c.sweep(200);
    c.close();
  }
  temps.forEach((c) => c());
});

function home(): string {
  const t = tempDir('jobctl-box-');
  temps.push(t.cleanup);
  homes.push(t.dir);
  return t.dir;
}

/** Pids of `sleep <marker>` processes (not the shell whose script names them). */
function withArg(marker: string): number[] {
  return listProcesses().filter((p) => {
    try {
      return p.state !== 'Z' && fs.readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').startsWith(`sleep\0${marker}\0`);
    } catch {
      return false;
    }
  }).map((p) => p.pid);
}

// Whether this host gives cgroups; the probe's subtrees (v2 and v1) are removed at once.
const probe = Containment.open('/probe-only');
const CGROUPS = probe.mode === 'cgroup';
probe.close();

describe('reading the cgroup layout', () => {
  it('finds cgroup2 and the v1 controllers in mountinfo, and our own groups', () => {
    const mounts = parseMountinfo([
      '30 23 0:26 / /sys/fs/cgroup rw,nosuid - tmpfs tmpfs rw,mode=755',
      '35 30 0:30 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw',
      '37 30 0:32 / /sys/fs/cgroup/memory rw,nosuid - cgroup cgroup rw,memory',
      '38 30 0:33 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid - cgroup cgroup rw,cpu,cpuacct',
    ].join('\n'));
    expect(mounts.map((m) => [m.point, m.fstype])).toEqual([
      ['/sys/fs/cgroup/unified', 'cgroup2'], ['/sys/fs/cgroup/memory', 'cgroup'], ['/sys/fs/cgroup/cpu,cpuacct', 'cgroup'],
    ]);
    expect(mounts[2]!.options).toContain('cpuacct');
    const own = parseProcCgroup('4:memory:/process_api/abc\n3:cpu,cpuacct:/\n0::/system.slice/jobctl.service\n');
    expect(own.get('')).toBe('/system.slice/jobctl.service');
    expect(own.get('memory')).toBe('/process_api/abc');
    expect(own.get('cpu,cpuacct')).toBe('/');
  });

  it('names each home apart, the same every time', () => {
    expect(homeCgroupName('/srv/a')).toBe(homeCgroupName('/srv/a/'));
    expect(homeCgroupName('/srv/a')).not.toBe(homeCgroupName('/srv/b'));
    expect(homeCgroupName('/srv/a')).toMatch(/^jobctl-[0-9a-f]{12}$/);
    expect(leafName({ home: '/h', task: 'web', instance: 2 })).toBe('web.i2');
    expect(leafName({ home: '/h', task: 'nightly', runId: '20261121-0300-ab' })).toBe('nightly.r20261121-0300-ab');
  });

  it('JOBCTL_CGROUPS=off turns cgroups off and says so', () => {
    expect(probeCgroups('/x', { JOBCTL_CGROUPS: 'off' })).toEqual({ reason: 'JOBCTL_CGROUPS=off' });
  });
});

describe.runIf(CGROUPS)('a cgroup box', () => {
  it('holds a setsid grandchild, signals it, empties, and is removed', async () => {
    const h = home();
    const c = Containment.open(h);
    expect(c.mode).toBe('cgroup');
    expect(c.info().description).toMatch(/^cgroup v2 \(/);
    const box = c.open({ task: 'w', instance: 0 });
    const marker = `${7_100_000 + Math.floor(Math.random() * 100_000)}`;
    const p = await spawnProcess({ command: `setsid sleep ${marker} & sleep ${marker}`, cwd: '/', env: {}, joinCgroups: box.joinFiles });
    groups.push(p.pgid);
    box.attach(p.pgid);
    p.stdout.resume();
    p.stderr.resume();
    await waitFor(() => withArg(marker).length === 2, 5000, 'both sleeps');
    const escaped = withArg(marker);
    // Both are in the cgroup although one left the process group.
    expect(groupProcs(box.cgroup!).sort()).toEqual(expect.arrayContaining(escaped));
    expect(await box.isEmpty()).toBe(false);
    expect(box.usage()?.cpuUsec).toBeGreaterThanOrEqual(0);
    expect(await box.clear('SIGTERM', 3000)).toBe('signalled');
    expect(withArg(marker)).toEqual([]);
    box.release();
    box.release();
    expect(fs.existsSync(box.cgroup!)).toBe(false);
  });

  it('cgroup.kill clears a group that ignores SIGTERM', async () => {
    const c = Containment.open(home());
    const box = c.open({ task: 'stubborn', runId: 'r1' });
    const marker = `${7_200_000 + Math.floor(Math.random() * 100_000)}`;
    const p = await spawnProcess({ command: `trap '' TERM; setsid sh -c "trap '' TERM; sleep ${marker}" & sleep ${marker}`, cwd: '/', env: {}, joinCgroups: box.joinFiles });
    groups.push(p.pgid);
    box.attach(p.pgid);
    p.stdout.resume();
    p.stderr.resume();
    await waitFor(() => withArg(marker).length >= 2, 5000, 'sleeps up');
    expect(await box.clear('SIGTERM', 300)).toBe('killed');
    expect(withArg(marker)).toEqual([]);
    box.release();
  });

  it('the start-up sweep kills what a previous daemon left in the home\'s cgroups and removes them', async () => {
    const h = home();
    const c = Containment.open(h);
    const box = c.open({ task: 'left', instance: 0 });
    const marker = `${7_300_000 + Math.floor(Math.random() * 100_000)}`;
    const p = await spawnProcess({ command: `setsid sleep ${marker} & exit 0`, cwd: '/', env: {}, joinCgroups: box.joinFiles });
    groups.push(p.pgid);
    p.stdout.resume();
    p.stderr.resume();
    await waitFor(() => withArg(marker).length === 1, 5000, 'escapee');
    const swept = await c.sweep(1000);
    expect(swept.map((s) => s.name)).toContain('left.i0');
    expect(withArg(marker)).toEqual([]);
    expect(fs.existsSync(box.cgroup!)).toBe(false);
    c.close();
    expect(fs.existsSync(path.dirname(box.cgroup!))).toBe(false);
  });
});

describe.runIf(CGROUPS)('cgroup leaves kept per slot (the start path: Containment.take)', () => {
  it('an instance\'s leaf is used again by its next process, not removed and made again; an idle one goes', async () => {
    const c = Containment.open(home());
    const first = await c.take({ task: 'keep', instance: 0 }, { pids: 50 });
    expect(first.cgroup).toMatch(/\/keep\.i0$/);
    const marker = `${7_800_000 + Math.floor(Math.random() * 100_000)}`;
    const p = await spawnProcess({ command: `sleep ${marker} & wait`, cwd: '/', env: {}, joinCgroups: first.joinFiles });
    groups.push(p.pgid);
    first.attach(p.pgid);
    p.stdout.resume();
    p.stderr.resume();
    await waitFor(() => withArg(marker).length === 1, 5000, 'sleep');
    expect(await first.clear('SIGTERM', 3000)).toBe('signalled');
    await p.exit;
    first.release();
    // Empty at release: kept for the slot.
    expect(fs.existsSync(first.cgroup!)).toBe(true);
    const second = await c.take({ task: 'keep', instance: 0 });
    expect(second.cgroup).toBe(first.cgroup);
    expect(second.oomKills()).toBe(0);
    const q = await spawnProcess({ command: ['true'], cwd: '/', env: {}, joinCgroups: second.joinFiles });
    second.attach(q.pgid);
    q.stdout.resume();
    q.stderr.resume();
    await q.exit;
    await second.waitEmpty(5000);
    second.release();
    await c.expireLeaves(0);
    expect(fs.existsSync(first.cgroup!)).toBe(false);
  });

  it('releaseSettled (the settle stage): an empty leaf is kept for the slot with its OOM count, a slotless one removed', async () => {
    const c = Containment.open(home());
    const first = await c.take({ task: 'settled', instance: 0 });
    const p = await spawnProcess({ command: ['true'], cwd: '/', env: {}, joinCgroups: first.joinFiles });
    first.attach(p.pgid);
    p.stdout.resume();
    p.stderr.resume();
    await p.exit;
    expect(await first.waitEmpty(5000)).toBe(true);
    expect(first.releaseSettled()).toBe(0);
    expect(first.releaseSettled()).toBe(0); // twice: no harm
    expect(fs.existsSync(first.cgroup!)).toBe(true);
    const second = await c.take({ task: 'settled', instance: 0 });
    expect(second.cgroup).toBe(first.cgroup);
    expect(second.oomKills()).toBe(0);
    second.release();
    const loose = c.open({ task: 'loose', instance: 0 });
    const dirs = loose.joinFiles.map((f) => path.dirname(f));
    expect(loose.releaseSettled()).toBe(0);
    expect(dirs.filter((d) => fs.existsSync(d))).toEqual([]);
    c.close();
  });

  it('runs of one task going at once each get their own leaf, and a later run takes a free one', async () => {
    const c = Containment.open(home());
    const a = await c.take({ task: 'nightly', runId: 'a' });
    const b = await c.take({ task: 'nightly', runId: 'b' });
    expect(a.cgroup).not.toBe(b.cgroup);
    a.release();
    const next = await c.take({ task: 'nightly', runId: 'c' });
    expect(next.cgroup).toBe(a.cgroup);
    // Another task never gets it.
    next.release();
    const other = await c.take({ task: 'other', runId: 'd' });
    expect(other.cgroup).not.toBe(a.cgroup);
    b.release();
    other.release();
    c.close();
    expect(fs.existsSync(a.cgroup!)).toBe(false);
  });

  it('a leaf that is not empty at release is not kept', async () => {
    const c = Containment.open(home());
    const box = await c.take({ task: 'busy', instance: 0 });
    const marker = `${7_900_000 + Math.floor(Math.random() * 100_000)}`;
    const p = await spawnProcess({ command: ['sleep', marker], cwd: '/', env: {}, joinCgroups: box.joinFiles });
    groups.push(p.pgid);
    box.attach(p.pgid);
    p.stdout.resume();
    p.stderr.resume();
    box.release();
    const next = await c.take({ task: 'busy', instance: 0 });
    // Made again (the old one still holds its process): the leftover is cleared first.
    expect(next.cgroup).toBe(box.cgroup);
    await waitFor(() => withArg(marker).length === 0, 5000, 'the leftover killed');
    next.release();
  });
});

describe.runIf(CGROUPS)('a kept leaf removed under the daemon', () => {
  it('is made again at the slot\'s next start, which joins it and runs (no "cannot join the cgroup")', async () => {
    const c = Containment.open(home());
    const first = await c.take({ task: 'gone', instance: 0 });
    const dirs = first.joinFiles.map((f) => path.dirname(f));
    first.release(); // empty: kept for the slot
    expect(dirs.every((d) => fs.existsSync(d))).toBe(true);
    for (const d of dirs) fs.rmdirSync(d); // an operator's cleanup, a tool, a reboot of the hierarchy
    const p = await startProcess({ command: ['true'], cwd: '/', env: {} }, {
      containment: c, id: { task: 'gone', instance: 0 }, clock: { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) },
    });
    groups.push(p.pgid);
    p.stdout.resume();
    p.stderr.resume();
    expect(p.box.kind).toBe('cgroup');
    expect(await p.exit).toEqual({ code: 0, signal: null });
    await p.box.waitEmpty(5000);
    p.box.release();
    c.close();
  });
});

describe('a process-group box (no cgroups)', () => {
  it('finds a setsid escapee by its JOBCTL_* environment and clears it', async () => {
    const h = home();
    const env = { JOBCTL_HOME: h, JOBCTL_TASK: 'w', JOBCTL_INSTANCE: '3' };
    const prev = process.env.JOBCTL_CGROUPS;
    process.env.JOBCTL_CGROUPS = 'off'; // read once, when the home's containment is made
    const c = Containment.open(h);
    if (prev === undefined) delete process.env.JOBCTL_CGROUPS;
    else process.env.JOBCTL_CGROUPS = prev;
    expect(c.mode).toBe('pgroup');
    expect(c.info().description).toMatch(/^process groups \(no cgroup delegation: see docs\/running\.md; JOBCTL_CGROUPS=off\)/);
    const box = c.open({ task: 'w', instance: 3 }, { memory: 1e6 });
    expect(box.notes[0]).toMatch(/limits are not in force/);
    expect(box.kind).toBe('pgroup');
    const marker = `${7_400_000 + Math.floor(Math.random() * 100_000)}`;
    const p = await spawnProcess({ command: `setsid sleep ${marker} & exit 0`, cwd: '/', env, joinCgroups: box.joinFiles });
    groups.push(p.pgid);
    box.attach(p.pgid);
    p.stdout.resume();
    p.stderr.resume();
    await p.exit;
    await waitFor(() => withArg(marker).length === 1, 5000, 'escapee');
    expect(processesWithEnv([`\0JOBCTL_HOME=${h}\0`, '\0JOBCTL_INSTANCE=3\0'])).toEqual(withArg(marker));
    expect(await box.isEmpty()).toBe(false);
    expect(await box.clear('SIGTERM', 2000)).toBe('signalled');
    expect(withArg(marker)).toEqual([]);
    // Another instance of the same task is not touched.
    expect(processesWithEnv([`\0JOBCTL_HOME=${h}\0`, '\0JOBCTL_INSTANCE=4\0'])).toEqual([]);
  });
});

describe('signals by pid after the group\'s (signalLeavers)', () => {
  it('only a process that left the group gets a second SIGTERM; SIGKILL goes to all', async () => {
    // A second SIGTERM is "stop now" to many programs, and a shell trap's cleanup, started after
    // the group's signal, is in the group: neither may get the box's signal again by pid.
    const marker = `${7_700_000 + Math.floor(Math.random() * 100_000)}`;
    const p = await spawnProcess({ command: `setsid sleep ${marker} & sleep ${marker} & wait`, cwd: '/', env: {} });
    groups.push(p.pgid);
    p.stdout.resume();
    p.stderr.resume();
    await waitFor(() => withArg(marker).length === 2, 5000, 'both sleeps');
    const sleeps = withArg(marker);
    const escaped = sleeps.find((pid) => fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[2] !== String(p.pgid))!;
    const inGroup = sleeps.find((pid) => pid !== escaped)!;
    // (The group itself is not signalled here: what the box does by pid is under test.)
    signalLeavers([p.pgid, ...sleeps], 'SIGTERM', p.pgid);
    await waitFor(() => !withArg(marker).includes(escaped), 5000, 'the escapee gone');
    expect(withArg(marker)).toEqual([inGroup]);
    expect(fs.existsSync(`/proc/${p.pgid}`)).toBe(true);
    signalLeavers([p.pgid, inGroup], 'SIGKILL', p.pgid);
    await waitFor(() => withArg(marker).length === 0, 5000, 'the group member killed');
    killGroup(p.pgid);
    await p.exit;
  });
});

describe('attacks', () => {
  it('processesWithEnv matches a home whose path is not ASCII (environ is UTF-8 bytes)', async () => {
    const h = `/tmp/jobctl-hé ü-${process.pid}`;
    const marker = `${7_600_000 + Math.floor(Math.random() * 100_000)}`;
    const p = await spawnProcess({ command: `exec sleep ${marker}`, cwd: '/', env: { JOBCTL_HOME: h, JOBCTL_TASK: 'u', JOBCTL_INSTANCE: '0' } });
    groups.push(p.pgid);
    p.stdout.resume();
    p.stderr.resume();
    await waitFor(() => withArg(marker).length === 1, 5000, 'sleep');
    expect(processesWithEnv([`\0JOBCTL_HOME=${h}\0`, '\0JOBCTL_TASK=u\0'])).toEqual(withArg(marker));
    killGroup(p.pgid);
  });


  it.runIf(CGROUPS)('a process that moves itself out of its v2 cgroup is still stopped (v1 leaves, environment)', async () => {
    const h = home();
    const c = Containment.open(h);
    const box = c.open({ task: 'mover', instance: 0 });
    const marker = `${7_700_000 + Math.floor(Math.random() * 100_000)}`;
    const v2root = path.join(path.dirname(path.dirname(box.cgroup!)), 'cgroup.procs');
    const env = { JOBCTL_HOME: h, JOBCTL_TASK: 'mover', JOBCTL_INSTANCE: '0' };
    const p = await spawnProcess({ command: `setsid sh -c 'echo $$ > ${v2root}; exec sleep ${marker}' & exec sleep ${marker}`, cwd: '/', env, joinCgroups: box.joinFiles });
    groups.push(p.pgid);
    box.attach(p.pgid);
    p.stdout.resume();
    p.stderr.resume();
    await waitFor(() => withArg(marker).length === 2, 5000, 'both sleeps');
    await waitFor(() => groupProcs(box.cgroup!).length === 1, 5000, 'one left the v2 group');
    await box.clear('SIGTERM', 2000);
    const left = withArg(marker);
    left.forEach((pid) => { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } });
    expect(left).toEqual([]);
    // The sleeps SIGKILLed above leave their cgroup once the kernel has reaped them.
    await waitFor(() => {
      try {
        return groupProcs(box.cgroup!).length === 0;
      } catch {
        return true; // already removed
      }
    }, 10_000, 'the cgroup empty');
    box.release();
  });
});
