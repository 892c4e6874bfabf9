import { execFileSync } from 'node:child_process';
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
afterAll(async () => {
  groups.forEach(killGroup);
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
    const p = spawnProcess({ command: `setsid ${hold} & ${hold} & wait`, cwd: '/', env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, joinCgroups: box.joinFiles });
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

  it('the first viewer after an idle spell samples at once, so the status it asks next has figures', async () => {
    const s = new MetricsSampler(2000, 60_000);
    const got: GroupSample[] = [];
    const p = spawnProcess({ command: 'sleep 1000', cwd: '/', env: {} });
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
