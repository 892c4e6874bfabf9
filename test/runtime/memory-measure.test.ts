import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { MetricsSampler, type GroupSample } from '../../src/runtime/metrics.js';
import { Containment } from '../../src/runtime/process/contain.js';
import { groupProcs } from '../../src/runtime/cgroup.js';
import { spawnProcess } from '../../src/runtime/process/start.js';
import { tempDir } from '../helpers/temp.js';
import { killGroup, waitFor } from '../helpers/wait.js';

/**
 * Issue 30: MEM is one measure everywhere: the RSS of the instance's processes added up, as
 * `ps -o rss` (and PM2) show them — not the cgroup's memory.current/usage_in_bytes charge.
 */
const temps: Array<() => void> = [];
const groups: number[] = [];
const homes: string[] = [];
/** Processes started out of their group (setsid): ended by pid. */
const escapees: number[] = [];
afterAll(async () => {
  groups.forEach(killGroup);
  for (const pid of escapees) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  for (const h of homes) {
    const c = Containment.open(h);
    await c.sweep(200);
    c.close();
  }
  temps.forEach((c) => c());
});

/** RSS of these pids as ps reports it, bytes. */
function psRss(pids: number[]): number {
  const out = execFileSync('ps', ['-o', 'rss=', '-p', pids.join(',')], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.trim()).reduce((n, l) => n + Number(l.trim()) * 1024, 0);
}

const probe = Containment.open('/probe-only');
const CGROUPS = probe.mode === 'cgroup';
probe.close();

describe('MEM agrees with ps', () => {
  it.runIf(CGROUPS)('a cgroup box reports the RSS of its processes summed (a setsid grandchild too)', async () => {
    const t = tempDir('jobctl-mem-');
    temps.push(t.cleanup);
    homes.push(t.dir);
    const c = Containment.open(t.dir);
    const box = c.open({ task: 'mem', instance: 0 });
    // Two processes holding a few MB each, one of them outside the process group.
    const hold = `node -e "const b=Buffer.alloc(8<<20,1);setInterval(()=>b[0]++,1000)"`;
    const p = await spawnProcess({ command: `setsid ${hold} & ${hold} & wait`, cwd: '/', env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, joinCgroups: box.joinFiles });
    groups.push(p.pgid);
    box.attach(p.pgid);
    p.stdout.resume();
    p.stderr.resume();
    await waitFor(() => groupProcs(box.cgroup!).length >= 3, 10_000, 'three processes in the cgroup');
    // Stable figures: the buffers are touched; compare once two reads in a row agree with ps within 5 %.
    await waitFor(() => {
      const pids = groupProcs(box.cgroup!);
      const ours = box.usage()!.memory!;
      const theirs = psRss(pids);
      return Math.abs(ours - theirs) / theirs < 0.05;
    }, 15_000, 'box memory = ps RSS of its processes');
    const pids = groupProcs(box.cgroup!);
    expect(box.usage()!.memory!).toBeGreaterThan(2 * 8 * 1024 * 1024);
    expect(psRss(pids)).toBeGreaterThan(2 * 8 * 1024 * 1024);
    await box.clear('SIGTERM', 2000);
    box.release();
  }, 30_000);

  /** Two sleeps, one of them out of the process group (setsid); resolves once both have exec'd. */
  async function twoSleeps(joinCgroups?: string[]): Promise<{ pgid: number; pids: () => number[] }> {
    const p = await spawnProcess({ command: 'setsid sleep 1001 & sleep 1002 & wait', cwd: '/', env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, ...(joinCgroups ? { joinCgroups } : {}) });
    groups.push(p.pgid);
    p.stdout.resume();
    p.stderr.resume();
    // The shell's children, once both are sleep (exec'd; setsid runs in place, not forked).
    const children = () => readFileSync(`/proc/${p.pgid}/task/${p.pgid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
    const isSleep = (pid: number) => { try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('sleep'); } catch { return false; } };
    let mine: number[] = [];
    await waitFor(() => (mine = children()).length === 2 && mine.every(isSleep), 10_000, 'both sleeps running');
    escapees.push(...mine);
    return { pgid: p.pgid, pids: () => [p.pgid, ...mine] };
  }

  it.runIf(CGROUPS)('a cgroup box\'s MEM is exactly what ps shows for its processes (statm, not the approximate stat rss)', async () => {
    const t = tempDir('jobctl-mem-');
    temps.push(t.cleanup);
    homes.push(t.dir);
    const c = Containment.open(t.dir);
    const box = c.open({ task: 'exact', instance: 0 });
    const { pgid } = await twoSleeps(box.joinFiles);
    box.attach(pgid);
    const pids = () => groupProcs(box.cgroup!);
    await waitFor(() => pids().length === 3, 10_000, 'shell and two sleeps in the cgroup');
    // Sleeping processes: their RSS holds still, so the figures are equal, not close.
    let ours = 0;
    let theirs = -1;
    await waitFor(() => {
      ours = box.usage()!.memory!;
      theirs = psRss(pids());
      return ours === theirs;
    }, 3000, 'box memory equal to ps').catch(() => undefined);
    expect(ours).toBe(theirs);
    await box.clear('SIGTERM', 2000);
    box.release();
  }, 30_000);

  it('without cgroups, MEM of a process group is exactly what ps shows for its members', async () => {
    const s = new MetricsSampler(2000, 60_000);
    const { pgid, pids } = await twoSleeps();
    const got: GroupSample[] = [];
    s.register(() => pgid, (m) => got.push(m));
    // The setsid sleep left the group: the group is the shell and one sleep.
    const members = () => pids().filter((pid) => execFileSync('ps', ['-o', 'pgid=', '-p', String(pid)], { encoding: 'utf8' }).trim() === String(pgid));
    let ours = 0;
    let theirs = -1;
    await waitFor(() => {
      s.sampleNow();
      ours = got.at(-1)!.rss;
      theirs = psRss(members());
      return ours === theirs;
    }, 3000, 'group memory equal to ps').catch(() => undefined);
    expect(members()).toHaveLength(2);
    expect(ours).toBe(theirs);
  });

  it('the first viewer after an idle spell samples at once, so the status it asks next has figures', async () => {
    const s = new MetricsSampler(2000, 60_000);
    const got: GroupSample[] = [];
    const p = await spawnProcess({ command: 'sleep 1000', cwd: '/', env: {} });
    groups.push(p.pgid);
    p.stdout.resume();
    p.stderr.resume();
    s.register(() => p.pgid, (m) => got.push(m));
    // What the TUI does: subscribe (watch), then status (demand) at once.
    const unwatch = s.watch();
    s.demand();
    expect(s.fullScans).toBe(1);
    expect(got[0]!.rss).toBeGreaterThan(0);
    unwatch();
  });

  it('a viewer attached first and a status right after: one scan, not none (the fleet TUI "-" race)', () => {
    const s = new MetricsSampler(100, 1000);
    s.register(() => process.pid, () => undefined);
    const t = Date.now();
    // A subscribe within the look window of an earlier status (no sample since): the status samples.
    s.demand(t - 500);
    const before = s.fullScans;
    s.watch(t);
    s.demand(t + 1);
    expect(s.fullScans).toBe(before + 1);
  });
});
