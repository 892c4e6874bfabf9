import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { rollingRestart, type RollingTarget } from '../../src/runtime/rolling-restart.js';
import type { InstanceInfo, RollingInfo } from '../../src/shared/protocol.js';
import { FakeClock } from '../helpers/fake-clock.js';

/**
 * The roll's order and stops, with a scripted set of instances and injected time: what
 * replaces an instance is decided by the test (`behave`), so every path is exact.
 */
class Instances extends EventEmitter implements RollingTarget {
  list: InstanceInfo[];
  restarted: number[] = [];
  private nextPid = 1000;
  constructor(n: number, private readonly behave: (index: number, inst: InstanceInfo) => void, private readonly health = false) {
    super();
    this.list = Array.from({ length: n }, (_, i) => ({ index: i, state: 'running', since: 0, pid: 100 + i, restarts: 0 }));
  }
  indexes(): number[] {
    return this.list.map((i) => i.index);
  }
  status(i: number): InstanceInfo | undefined {
    return this.list[i];
  }
  restart(i: number): void {
    this.restarted.push(i);
    this.set(i, { state: 'stopping' });
    queueMicrotask(() => {
      this.set(i, { state: 'starting', pid: this.nextPid++ });
      this.behave(i, this.list[i]!);
    });
  }
  set(i: number, over: Partial<InstanceInfo>): void {
    this.list[i] = { ...this.list[i]!, ...over };
    this.emit('change');
  }
  onChange(fn: () => void): () => void {
    this.on('change', fn);
    return () => this.off('change', fn);
  }
  hasHealth(): boolean {
    return this.health;
  }
  /** Instances from this index on were scaled away. */
  count = Infinity;
  retired(i: number): boolean {
    return i >= this.count;
  }
  running(): number {
    return this.list.filter((i) => i.state === 'running').length;
  }
}

const flush = () => new Promise((r) => setImmediate(r));

describe('rollingRestart', () => {
  it('one at a time: the next instance is touched only when the previous one runs again', async () => {
    const clock = new FakeClock(0);
    const minRunning: number[] = [];
    const t: Instances = new Instances(4, (i) => clock.setTimeout(() => t.set(i, { state: 'running' }), 300));
    t.on('change', () => minRunning.push(t.running()));
    const progress: RollingInfo[] = [];
    const done = rollingRestart(t, { stepTimeoutMs: 5000, clock, onProgress: (p) => progress.push(p) });
    for (let k = 0; k < 4; k++) {
      await flush();
      expect(t.restarted).toEqual(Array.from({ length: k + 1 }, (_, i) => i));
      clock.advance(300);
    }
    const r = await done;
    expect(r).toMatchObject({ state: 'done', done: 4, total: 4, startedAt: 0, endedAt: 1200 });
    expect(Math.min(...minRunning)).toBe(3);
    expect(progress.filter((p) => p.instance !== undefined).map((p) => p.instance)).toEqual([0, 1, 2, 3]);
  });

  it('with health, waits for healthy, and stops at an unhealthy replacement, leaving the rest', async () => {
    const clock = new FakeClock(0);
    const t: Instances = new Instances(3, (i) => {
      t.set(i, { state: 'running', health: { state: 'starting', since: 0, failures: 0 } });
      const verdict = i === 1 ? 'unhealthy' : 'healthy';
      clock.setTimeout(() => t.set(i, { health: { state: verdict, since: 0, failures: i === 1 ? 3 : 0, lastProbe: { at: 0, ok: i !== 1, output: i === 1 ? 'HTTP 500' : 'ok', durationMs: 1 } } }), 1000);
    }, true);
    const done = rollingRestart(t, { stepTimeoutMs: 5000, clock });
    await flush();
    clock.advance(500);
    await flush();
    expect(t.restarted).toEqual([0]); // running but not yet healthy: no move
    clock.advance(500);
    await flush();
    expect(t.restarted).toEqual([0, 1]);
    clock.advance(1000);
    const r = await done;
    expect(r).toMatchObject({ state: 'failed', done: 1, total: 3, instance: 1, message: 'instance 1: the new process is unhealthy: HTTP 500' });
    expect(t.restarted).toEqual([0, 1]);
    expect(t.list[2]!.pid).toBe(102);
  });

  it('a replacement that never comes up times out', async () => {
    const clock = new FakeClock(0);
    const t = new Instances(2, () => undefined);
    const done = rollingRestart(t, { stepTimeoutMs: 2000, clock });
    await flush();
    clock.advance(2000);
    expect(await done).toMatchObject({ state: 'failed', done: 0, instance: 0, message: 'instance 0: not running within 2s (now starting)' });
    expect(t.restarted).toEqual([0]);
  });

  it('a crash of the replacement stops the roll at once', async () => {
    const clock = new FakeClock(0);
    const t: Instances = new Instances(2, (i) => t.set(i, { state: 'backoff', lastExit: { code: 1, signal: null, at: 0 } }));
    expect(await rollingRestart(t, { stepTimeoutMs: 2000, clock })).toMatchObject({ state: 'failed', message: 'instance 0: the new process failed (exit code 1)' });
  });

  it('a task stopped during the roll ends it before the next instance', async () => {
    const clock = new FakeClock(0);
    let stopped = false;
    const t: Instances = new Instances(3, (i) => {
      t.set(i, { state: 'running' });
      stopped = true;
    });
    const r = await rollingRestart(t, { stepTimeoutMs: 2000, clock, cancelled: () => stopped });
    expect(r).toMatchObject({ state: 'failed', done: 1, instance: 1, message: 'the task was stopped' });
    expect(t.restarted).toEqual([0]);
  });

  it('a task stopped during a step ends the roll at once, not at the step timeout', async () => {
    const clock = new FakeClock(0);
    let stopped = false;
    // The replacement is still starting when the task is stopped; its instance then reads stopped.
    const t: Instances = new Instances(3, (i) => {
      stopped = true;
      t.set(i, { state: 'stopped' });
    });
    const r = await rollingRestart(t, { stepTimeoutMs: 120_000, clock, cancelled: () => stopped });
    expect(r).toMatchObject({ state: 'failed', done: 0, instance: 0, message: 'the task was stopped', endedAt: 0 });
    expect(t.restarted).toEqual([0]);
  });

  it('instances scaled away leave the roll, before their step or during it: done, not failed', async () => {
    const clock = new FakeClock(0);
    // Instance 1's replacement never comes up: the scale-down to 1 during its step retires it (and 2, 3 before theirs).
    const t: Instances = new Instances(4, (i) => {
      if (i === 0) t.set(i, { state: 'running' });
      else t.count = 1;
      t.emit('change');
    });
    const r = await rollingRestart(t, { stepTimeoutMs: 2000, clock });
    expect(r).toMatchObject({ state: 'done', done: 1, total: 1 });
    expect(r.message).toBeUndefined();
    expect(t.restarted).toEqual([0, 1]);
  });
});
