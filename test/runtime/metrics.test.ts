import fs from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { MetricsSampler, type GroupSample } from '../../src/runtime/metrics.js';
import { groupTree } from '../../src/runtime/proc.js';
import { killGroup, waitFor } from '../helpers/wait.js';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) killGroup(c.pid);
});

/** The command name of a process ('' once it is gone). */
function comm(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/** A shell in its own group with two sleeping grandchildren. */
function group(): ChildProcess {
  const c = spawn('/bin/sh', ['-c', 'sleep 1000 & sleep 1000 & wait'], { detached: true, stdio: 'ignore' });
  children.push(c);
  return c;
}

/** One group (three processes) registered with `s`; its samples. */
async function withGroup(s: MetricsSampler): Promise<GroupSample[]> {
  const got: GroupSample[] = [];
  const g = group();
  await waitFor(() => groupTree(g.pid!).length === 3, 3000, 'three processes');
  s.register(() => g.pid, (m) => got.push(m));
  return got;
}

/** A sampler (one step a turn) of one group, sampled once, then asked again: a refresh under way. */
async function refreshing(): Promise<{ s: MetricsSampler; got: GroupSample[] }> {
  const s = new MetricsSampler(100, 0, { servedStaleMs: 60_000, sliceMs: 0 });
  const got = await withGroup(s);
  s.sampleNow();
  await new Promise((r) => setTimeout(r, 150));
  s.demand();
  return { s, got };
}

describe('MetricsSampler: sampling follows who is looking', () => {
  it('reads nothing while nobody looks and no group needs it', () => {
    const s = new MetricsSampler(100, 1000);
    const got: GroupSample[] = [];
    const g = group();
    s.register(() => g.pid, (m) => got.push(m));
    for (let i = 0; i < 5; i++) s.tick(1_000_000 + i * 100);
    expect(s.fullScans + s.treeWalks).toBe(0);
    expect(got).toEqual([]);
  });

  it('a demand (status) samples at once and for lookMs after; a watcher (TUI) until it leaves', async () => {
    const s = new MetricsSampler(100, 1000);
    const got: GroupSample[] = [];
    const g = group();
    await waitFor(() => groupTree(g.pid!).length === 3, 3000, 'three processes');
    s.register(() => g.pid, (m) => got.push(m));
    const t = Date.now();
    s.demand(t);
    expect(s.fullScans).toBe(1);
    expect(got[0]!.rss).toBeGreaterThan(100 * 1024);
    s.demand(t + 50); // figures younger than an interval: the timer samples, not the request
    expect(s.fullScans).toBe(1);
    s.demand(t + 300); // the look window moves on (to t + 1,300)
    expect(s.fullScans).toBe(2); // (figures older than an interval: the request samples)
    s.tick(t + 500);
    expect(s.fullScans).toBe(3);
    s.tick(t + 1400); // look window over (1,000 ms after the last demand)
    expect(s.fullScans).toBe(3);
    const unwatch = s.watch(t + 1400);
    expect(s.fullScans).toBe(4); // the first viewer after an idle spell: at once
    s.tick(t + 1600);
    expect(s.fullScans).toBe(5);
    unwatch();
    unwatch();
    s.tick(t + 1700);
    expect(s.fullScans).toBe(5);
  });

  it('groups that need it (max_memory) are sampled by walking their own tree, grandchildren included', async () => {
    const s = new MetricsSampler(100, 1000);
    const watched = group();
    const other = group();
    // Up and settled: both grandchildren past their exec of sleep (a forked shell's RSS is not sleep's).
    const settled = (pid: number) => groupTree(pid).filter((p) => comm(p.pid) === 'sleep').length === 2 && groupTree(pid).length === 3;
    await waitFor(() => settled(watched.pid!) && settled(other.pid!), 3000, 'both groups up');
    const got: GroupSample[] = [];
    const otherGot: GroupSample[] = [];
    s.register(() => watched.pid, (m) => got.push(m), { always: () => true });
    s.register(() => other.pid, (m) => otherGot.push(m));
    const sumOf = () => groupTree(watched.pid!).reduce((n, p) => n + p.rss, 0);
    const before = sumOf();
    s.tick(Date.now());
    const after = sumOf();
    expect(s.treeWalks).toBe(1);
    expect(s.fullScans).toBe(0);
    expect(otherGot).toEqual([]);
    // The group's RSS is the sum of its three processes.
    expect(got[0]!.rss).toBeGreaterThan(Math.min(before, after) * 0.8);
    expect(got[0]!.rss).toBeLessThan(Math.max(before, after) * 1.2);
  });

  it('servedStaleMs: a demand answers with figures younger than it at once and refreshes them in later turns of the loop', async () => {
    const s = new MetricsSampler(100, 0, { servedStaleMs: 1000 });
    const got: GroupSample[] = [];
    const g = group();
    await waitFor(() => groupTree(g.pid!).length === 3, 3000, 'three processes');
    s.register(() => g.pid, (m) => got.push(m));
    const t = Date.now();
    // No figures yet: read in slices (the loop serves others between them), and the answer
    // waits for them: the promise resolves once they are read. A second look meanwhile waits too.
    const first = s.demand(t);
    expect(first).toBeInstanceOf(Promise);
    expect(s.demand(t + 1)).toBe(first);
    expect(got).toHaveLength(0);
    await first;
    expect(got).toHaveLength(1);
    expect(s.fullScans).toBe(0);
    expect(s.backgroundScans).toBe(1);
    expect(s.demand(t + 500)).toBeUndefined(); // older than an interval, younger than servedStaleMs: answered with them
    expect(got).toHaveLength(1);
    expect(s.backgroundScans).toBe(2);
    s.demand(t + 550); // one refresh at a time
    expect(s.backgroundScans).toBe(2);
    await waitFor(() => got.length === 2, 3000, 'the refresh read the group');
    expect(got[1]!.rss).toBeGreaterThan(100 * 1024);
    // Figures older than servedStaleMs (an idle spell): read before the answer again.
    const idle = s.demand(t + 2000);
    expect(idle).toBeInstanceOf(Promise);
    await idle;
    expect(got).toHaveLength(3);
    expect(s.fullScans).toBe(0);
    s.stop();
  });
  it('servedStaleMs: a refresh\'s /proc scan overtaken by a full sample between its slices is not applied over it (CPU % stays true)', async () => {
    // sliceMs 0: one group a turn (a turn always makes progress).
    const s = new MetricsSampler(100, 0, { servedStaleMs: 60_000, sliceMs: 0 });
    const busy = () => {
      const c = spawn('/bin/sh', ['-c', 'while :; do :; done'], { detached: true, stdio: 'ignore' });
      children.push(c);
      return c;
    };
    const a = busy();
    const b = busy();
    const gotA: GroupSample[] = [];
    const gotB: GroupSample[] = [];
    s.register(() => a.pid, (m) => gotA.push(m));
    s.register(() => b.pid, (m) => gotB.push(m));
    await waitFor(() => groupTree(a.pid!).length === 1 && groupTree(b.pid!).length === 1, 3000, 'two busy shells');
    s.sampleNow();
    await new Promise((r) => setTimeout(r, 150));
    s.demand(); // answered with the figures above; the refresh scans /proc, then reads `a`, then `b`
    expect(s.backgroundScans).toBe(1);
    // Once the refresh has read `a`: the loop held 400 ms, then a full sample (a tick); `b` is
    // left for the refresh's next turn, with its 400 ms older scan.
    await new Promise<void>((resolve) => {
      const poll = () => {
        if (gotA.length < 2) return setImmediate(poll);
        expect(gotB).toHaveLength(1);
        const until = Date.now() + 400;
        while (Date.now() < until) { /* the loop held, as by a large status */ }
        s.sampleNow();
        resolve();
      };
      setImmediate(poll);
    });
    await waitFor(() => gotB.length >= 2, 3000, 'b sampled');
    await new Promise((r) => setTimeout(r, 100)); // the refresh has ended
    // A busy loop never shows 0 % (the defect: the older scan applied over the newer sample). Its
    // share itself depends on the machine's load (Node 26 CI pass, suite at full parallelism: < 20 %).
    expect(gotB.slice(1).map((m) => m.cpu).every((c) => c! > 0)).toBe(true);
    await new Promise((r) => setTimeout(r, 400));
    s.sampleNow();
    const lastA = gotA.at(-1)!.cpu!;
    const lastB = gotB.at(-1)!.cpu!;
    // Both busy loops share the same cores: neither shows the CPU of two spells over one.
    expect(lastB).toBeLessThan(Math.max(lastA * 1.4, 60) + 10);
    expect(lastB).toBeLessThanOrEqual(105);
    s.stop();
  });

  it('servedStaleMs: without cgroups, the refresh reads /proc a process at a time, not the whole scan in one turn', async () => {
    const { s, got } = await refreshing();
    expect(s.backgroundScans).toBe(1);
    let turns = 0;
    await new Promise<void>((resolve) => {
      const next = () => {
        turns++;
        if (got.length === 2 || turns > 100_000) resolve();
        else setImmediate(next);
      };
      setImmediate(next);
    });
    expect(got).toHaveLength(2);
    // One step a turn (sliceMs 0): the group's figures come after a turn per process on the host.
    expect(turns).toBeGreaterThan(fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n)).length / 2);
    expect(got[1]!.rss).toBeGreaterThan(100 * 1024);
    s.stop();
  });

  it('servedStaleMs: the read after an idle spell leaves the loop to others between its slices (1,000 boxes read at once held it 150-340 ms)', async () => {
    const s = new MetricsSampler(100, 0, { servedStaleMs: 1000, sliceMs: 0 });
    const got = await withGroup(s);
    let turns = 0;
    let done = false;
    const read = s.demand()!.then(() => (done = true));
    const count = () => {
      if (done) return;
      turns++;
      setImmediate(count);
    };
    setImmediate(count);
    await read;
    // Without cgroups the group is read from /proc a process at a time: many turns, others' between.
    expect(turns).toBeGreaterThan(1);
    expect(got).toHaveLength(1);
    expect(got[0]!.rss).toBeGreaterThan(100 * 1024);
    s.stop();
  });

  it('servedStaleMs: a refresh stops at stop() and reads no more', async () => {
    const { s, got } = await refreshing();
    s.stop();
    s.stop();
    await new Promise((r) => setTimeout(r, 300));
    expect(got).toHaveLength(1);
  });

  it('servedStaleMs: a status waiting for the read after an idle spell is answered when the sampler stops (the daemon going down)', async () => {
    const s = new MetricsSampler(100, 0, { servedStaleMs: 1000, sliceMs: 0 });
    const got = await withGroup(s);
    const read = s.demand()!;
    s.stop();
    await read;
    expect(got).toHaveLength(0);
  });

  it('servedStaleMs: a read after an idle spell whose callback throws still answers the status waiting for it, and the next read goes on', async () => {
    // The throw stays uncaught (the daemon reports it and goes on): caught here instead of by the runner.
    const theirs = process.listeners('uncaughtException');
    process.removeAllListeners('uncaughtException');
    const uncaught: unknown[] = [];
    process.on('uncaughtException', (e) => uncaught.push(e));
    try {
      const s = new MetricsSampler(100, 0, { servedStaleMs: 1000, sliceMs: 0 });
      const got = await withGroup(s);
      const g = group();
      await waitFor(() => groupTree(g.pid!).length === 3, 3000, 'three processes');
      let calls = 0;
      s.register(() => g.pid, () => {
        if (calls++ === 0) throw new Error('a viewer gone');
      });
      const t = Date.now();
      await s.demand(t);
      expect(uncaught.map((e) => (e as Error).message)).toEqual(['a viewer gone']);
      // The next look after an idle spell reads again, and waits for that read only.
      await s.demand(t + 5000);
      expect(got.length).toBeGreaterThanOrEqual(1);
      expect(calls).toBe(2);
      s.stop();
    } finally {
      process.removeAllListeners('uncaughtException');
      for (const l of theirs) process.on('uncaughtException', l);
    }
  });

  it('servedStaleMs: with a viewer attached, each interval refreshes in slices, not in one piece', async () => {
    const s = new MetricsSampler(100, 0, { servedStaleMs: 200 });
    const got = await withGroup(s);
    const unwatch = s.watch();
    // The first viewer: read in slices, and its first status (a demand) waits for them.
    expect(s.backgroundScans).toBe(1);
    await s.demand();
    expect(got).toHaveLength(1);
    s.tick(Date.now() + 100);
    expect(s.fullScans).toBe(0);
    expect(s.backgroundScans).toBe(2);
    expect(got).toHaveLength(1);
    await waitFor(() => got.length === 2, 3000, 'the refresh read the group');
    unwatch();
    s.tick(Date.now() + 400); // nobody looks: nothing read
    expect(s.backgroundScans + s.fullScans).toBe(2);
    s.stop();
  });
});
