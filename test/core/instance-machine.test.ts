import { describe, expect, it } from 'vitest';
import {
  ACCEPTS, initialSnapshot, transition, type InstanceEvent, type InstanceSnapshot, type MachineConfig,
} from '../../src/core/instance-machine.js';
import { DEFAULTS } from '../../src/config/defaults.js';
import { backoffDelay, decideAfterExit } from '../../src/core/restart-policy.js';
import { JobctlError } from '../../src/shared/errors.js';
import { INSTANCE_STATES } from '../../src/shared/types.js';

const cfg: MachineConfig = {
  restart: 'always', backoff: { initialMs: 1000, maxMs: 8000 }, startRetries: 100, maxRestarts: 5, restartWindowMs: 60_000,
  startMs: 1000, stopSignal: 'SIGTERM', stopTimeoutMs: 5000,
};
const noJitter = () => 0;

/** Drives the machine like the runtime would, with a fake clock. */
class Harness {
  now = 1_000_000;
  s: InstanceSnapshot = initialSnapshot(this.now);
  effects: unknown[] = [];
  constructor(private c: MachineConfig = cfg) {}
  send(e: InstanceEvent, advance = 0) {
    this.now += advance;
    const t = transition(this.s, e, this.now, this.c, noJitter);
    this.s = t.next;
    this.effects = t.effects;
    return t;
  }
}

describe('backoff', () => {
  it('doubles from initial to max, jitter only lowers by up to 25%', () => {
    const b = { initialMs: 1000, maxMs: 10_000 };
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(b, n, () => 0))).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000]);
    expect(backoffDelay(b, 1, () => 1)).toBe(750);
    for (let i = 0; i < 200; i++) {
      const d = backoffDelay(b, 3, Math.random);
      expect(d).toBeGreaterThanOrEqual(3000);
      expect(d).toBeLessThanOrEqual(4000);
    }
  });

  it('restart policies', () => {
    const ok = { code: 0, signal: null };
    const bad = { code: 1, signal: null };
    const base = { backoff: cfg.backoff, startRetries: 100, maxRestarts: 2, restartWindowMs: 10_000 };
    expect(decideAfterExit({ ...base, restart: 'never' }, bad, 1, [], 0, noJitter)).toEqual({ kind: 'exited' });
    expect(decideAfterExit({ ...base, restart: 'on-failure' }, ok, 1, [], 0, noJitter)).toEqual({ kind: 'exited' });
    expect(decideAfterExit({ ...base, restart: 'on-failure' }, bad, 1, [], 0, noJitter)).toMatchObject({ kind: 'backoff' });
    expect(decideAfterExit({ ...base, restart: 'always' }, ok, 1, [], 0, noJitter)).toMatchObject({ kind: 'backoff' });
    // two restarts in the window already: the third is refused
    expect(decideAfterExit({ ...base, restart: 'always' }, bad, 3, [1000, 2000], 5000, noJitter)).toEqual({ kind: 'fatal', why: 'window', restartsInWindow: 2 });
    // old restarts fall out of the window
    expect(decideAfterExit({ ...base, restart: 'always' }, bad, 3, [1000, 2000], 12_500, noJitter)).toMatchObject({ kind: 'backoff', restartTimes: [12_500] });
  });

  it('start_retries: failed starts in a row beyond it are fatal, whatever the window says', () => {
    const base = { backoff: cfg.backoff, startRetries: 3, maxRestarts: 10, restartWindowMs: 10_000, restart: 'always' as const };
    const bad = { code: 1, signal: null };
    expect(decideAfterExit(base, bad, 3, [], 0, noJitter, false, 3)).toMatchObject({ kind: 'backoff' });
    expect(decideAfterExit(base, bad, 4, [], 0, noJitter, false, 4)).toEqual({ kind: 'fatal', why: 'start-retries', failedStarts: 4 });
    // a policy that does not restart is not fatal
    expect(decideAfterExit({ ...base, restart: 'never' }, bad, 9, [], 0, noJitter, false, 9)).toEqual({ kind: 'exited' });
    expect(decideAfterExit({ ...base, restart: 'on-failure' }, { code: 0, signal: null }, 9, [], 0, noJitter, false, 9)).toEqual({ kind: 'exited' });
  });
});

describe('fatal under the default settings', () => {
  const defaults: MachineConfig = {
    restart: DEFAULTS.daemon.restart, backoff: DEFAULTS.daemon.backoff, startRetries: DEFAULTS.daemon.startRetries,
    maxRestarts: DEFAULTS.daemon.maxRestarts, restartWindowMs: DEFAULTS.daemon.restartWindowMs, startMs: DEFAULTS.daemon.startMs,
    stopSignal: 'SIGTERM', stopTimeoutMs: 10_000,
  };

  it('a process that exits at once is fatal after start_retries + 1 failed starts, and notifies fatal', () => {
    const h = new Harness(defaults);
    h.send({ type: 'start' });
    let elapsed = 0;
    let attempts = 0;
    const notices: string[] = [];
    while (h.s.state !== 'fatal' && attempts < 100) {
      attempts++;
      h.send({ type: 'spawned', pid: attempts });
      h.send({ type: 'exit', code: 1, signal: null }, 50);
      elapsed += 50;
      for (const e of h.effects as Array<{ type: string; event?: string }>) if (e.type === 'notify') notices.push(e.event!);
      if (h.s.state === 'backoff') {
        const arm = (h.effects as Array<{ type: string; delayMs?: number }>).find((e) => e.type === 'arm')!;
        h.send({ type: 'backoff-elapsed' }, arm.delayMs);
        elapsed += arm.delayMs!;
      }
    }
    expect(h.s.state).toBe('fatal');
    expect(attempts).toBe(DEFAULTS.daemon.startRetries + 1);
    expect(elapsed).toBeLessThan(60_000);
    expect(notices.at(-1)).toBe('fatal');
    expect(h.s.message).toBe(`exited with code 1; gave up after 6 failed starts in a row, none up for start_seconds (1000ms) (start_retries 5)`);
  });

  it('a process that stays up past start_seconds between crashes is not counted as failing to start', () => {
    const h = new Harness(defaults);
    h.send({ type: 'start' });
    for (let i = 0; i < 20; i++) {
      h.send({ type: 'spawned', pid: i });
      h.send({ type: 'start-timer' }, 1000);
      h.send({ type: 'exit', code: 1, signal: null }, 120_000); // crashes every 2 minutes
      expect(h.s.state).toBe('backoff');
      expect(h.s.failedStarts).toBe(0);
      const arm = (h.effects as Array<{ type: string; delayMs?: number }>).find((e) => e.type === 'arm')!;
      h.send({ type: 'backoff-elapsed' }, arm.delayMs);
    }
  });

  it('the count of failed starts is reset by a good start and by a start by hand', () => {
    const h = new Harness({ ...defaults, startRetries: 2 });
    h.send({ type: 'start' });
    const failOnce = () => {
      h.send({ type: 'spawned', pid: 1 });
      h.send({ type: 'exit', code: 1, signal: null }, 10);
    };
    failOnce();
    h.send({ type: 'backoff-elapsed' }, 5000);
    failOnce();
    expect(h.s).toMatchObject({ state: 'backoff', failedStarts: 2 });
    h.send({ type: 'backoff-elapsed' }, 5000);
    h.send({ type: 'spawned', pid: 2 });
    h.send({ type: 'start-timer' }, 1000);
    expect(h.s).toMatchObject({ state: 'running', failedStarts: 0 });
    h.send({ type: 'exit', code: 1, signal: null }, 10);
    h.send({ type: 'backoff-elapsed' }, 0);
    failOnce();
    h.send({ type: 'backoff-elapsed' }, 5000);
    failOnce();
    h.send({ type: 'backoff-elapsed' }, 5000);
    failOnce();
    expect(h.s.state).toBe('fatal');
    h.send({ type: 'start' });
    expect(h.s).toMatchObject({ state: 'starting', failedStarts: 0 });
  });
});

describe('instance state machine', () => {
  it('has an entry for every state', () => {
    expect(Object.keys(ACCEPTS).sort()).toEqual([...INSTANCE_STATES].sort());
  });

  it('start -> starting -> running after start_seconds', () => {
    const h = new Harness();
    expect(h.send({ type: 'start' }).effects).toEqual([{ type: 'spawn' }]);
    expect(h.s.state).toBe('starting');
    expect(h.send({ type: 'spawned', pid: 42 }).effects).toEqual([{ type: 'arm', timer: 'start', delayMs: 1000 }]);
    expect(h.s.pid).toBe(42);
    h.send({ type: 'start-timer' }, 1000);
    expect(h.s).toMatchObject({ state: 'running', pid: 42, failures: 0 });
  });

  it('a crash loop restarts with growing delays, then goes fatal and stays down', () => {
    const h = new Harness();
    h.send({ type: 'start' });
    const delays: number[] = [];
    for (let i = 0; i < 10 && h.s.state !== 'fatal'; i++) {
      h.send({ type: 'spawned', pid: 100 + i });
      h.send({ type: 'exit', code: 1, signal: null }, 100);
      if (h.s.state === 'backoff') {
        const arm = h.effects.find((e) => (e as { type: string }).type === 'arm') as { delayMs: number };
        delays.push(arm.delayMs);
        expect(h.effects).toContainEqual({ type: 'notify', event: 'failure', message: 'exited with code 1' });
        h.send({ type: 'backoff-elapsed' }, arm.delayMs);
      }
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000, 8000]);
    expect(h.s.state).toBe('fatal');
    expect(h.s.message).toMatch(/^exited with code 1; gave up after 5 restarts within 60s \(max_restarts 5\)$/);
    expect(h.effects).toEqual([{ type: 'cancel', timer: 'start' }, { type: 'notify', event: 'fatal', message: h.s.message }]);
    expect(h.s.restarts).toBe(5);
    // a fatal instance only leaves by hand, with its failures forgotten
    expect(() => h.send({ type: 'backoff-elapsed' })).toThrow(JobctlError);
    h.send({ type: 'start' });
    expect(h.s).toMatchObject({ state: 'starting', failures: 0, restartTimes: [] });
  });

  it('uptime past start_seconds resets the backoff and notifies recovered', () => {
    const h = new Harness();
    h.send({ type: 'start' });
    h.send({ type: 'spawned', pid: 1 });
    h.send({ type: 'exit', code: 2, signal: null }, 50);
    h.send({ type: 'backoff-elapsed' }, 1000);
    h.send({ type: 'spawned', pid: 2 });
    h.send({ type: 'exit', code: 2, signal: null }, 50);
    expect(h.s.failures).toBe(2);
    h.send({ type: 'backoff-elapsed' }, 2000);
    h.send({ type: 'spawned', pid: 3 });
    expect(h.send({ type: 'start-timer' }, 1000).effects).toEqual([{ type: 'notify', event: 'recovered', message: 'running again' }]);
    expect(h.s).toMatchObject({ state: 'running', failures: 0, degraded: false });
    // a crash after a healthy run restarts at once; a second one in a row backs off from `initial`
    h.send({ type: 'exit', code: null, signal: 'SIGSEGV' }, 3_600_000);
    expect(h.effects).toContainEqual({ type: 'arm', timer: 'backoff', delayMs: 0 });
    expect(h.effects).toContainEqual({ type: 'notify', event: 'failure', message: 'killed by SIGSEGV' });
    h.send({ type: 'backoff-elapsed' });
    h.send({ type: 'spawned', pid: 4 });
    h.send({ type: 'exit', code: 1, signal: null }, 20);
    expect(h.effects).toContainEqual({ type: 'arm', timer: 'backoff', delayMs: 2000 });
  });

  it('an exit while starting cancels the start timer', () => {
    const h = new Harness();
    h.send({ type: 'start' });
    h.send({ type: 'spawned', pid: 1 });
    expect(h.send({ type: 'exit', code: 1, signal: null }, 10).effects[0]).toEqual({ type: 'cancel', timer: 'start' });
  });

  it('restart: never -> exited; on-failure + clean exit -> exited without a notification', () => {
    const never = new Harness({ ...cfg, restart: 'never' });
    never.send({ type: 'start' });
    never.send({ type: 'spawned', pid: 1 });
    never.send({ type: 'exit', code: 3, signal: null });
    expect(never.s).toMatchObject({ state: 'exited', lastExit: { code: 3, signal: null } });
    const onFailure = new Harness({ ...cfg, restart: 'on-failure' });
    onFailure.send({ type: 'start' });
    onFailure.send({ type: 'spawned', pid: 1 });
    onFailure.send({ type: 'start-timer' }, 1000);
    expect(onFailure.send({ type: 'exit', code: 0, signal: null }).effects).toEqual([]);
    expect(onFailure.s.state).toBe('exited');
  });

  it('a spawn failure is a state with a message, restarted by policy', () => {
    const h = new Harness();
    h.send({ type: 'start' });
    h.send({ type: 'spawn-failed', message: 'command not found: /nope' });
    expect(h.s).toMatchObject({ state: 'backoff', message: 'command not found: /nope' });
  });

  it('stop: signal, arm the kill timer, SIGKILL when it fires, stopped on exit', () => {
    const h = new Harness();
    h.send({ type: 'start' });
    h.send({ type: 'spawned', pid: 7 });
    h.send({ type: 'start-timer' }, 1000);
    expect(h.send({ type: 'stop' }).effects).toEqual([
      { type: 'signal', signal: 'SIGTERM' },
      { type: 'arm', timer: 'kill', delayMs: 5000 },
    ]);
    expect(h.s.state).toBe('stopping');
    expect(h.send({ type: 'stop' }).effects).toEqual([]); // idempotent
    expect(h.send({ type: 'kill-timer' }, 5000).effects).toEqual([{ type: 'signal', signal: 'SIGKILL' }]);
    expect(h.send({ type: 'exit', code: null, signal: 'SIGKILL' }).effects).toEqual([{ type: 'cancel', timer: 'kill' }]);
    expect(h.s.state).toBe('stopped');
    expect(h.s.pid).toBeUndefined();
  });

  it('stop from backoff cancels the retry; stop when stopped is NOT_RUNNING', () => {
    const h = new Harness();
    h.send({ type: 'start' });
    h.send({ type: 'spawned', pid: 1 });
    h.send({ type: 'exit', code: 1, signal: null });
    expect(h.send({ type: 'stop' }).effects).toEqual([{ type: 'cancel', timer: 'backoff' }]);
    expect(h.s.state).toBe('stopped');
    expect(() => h.send({ type: 'stop' })).toThrow(expect.objectContaining({ code: 'NOT_RUNNING' }));
  });

  it('restart (and recycle) stops, then starts again on exit', () => {
    const h = new Harness();
    h.send({ type: 'start' });
    h.send({ type: 'spawned', pid: 1 });
    h.send({ type: 'start-timer' }, 1000);
    h.send({ type: 'restart', reason: 'max_memory: 600MB > 512MB' });
    expect(h.s).toMatchObject({ state: 'stopping', restartPending: true, message: 'max_memory: 600MB > 512MB' });
    expect(h.send({ type: 'exit', code: 0, signal: null }).effects).toEqual([{ type: 'cancel', timer: 'kill' }, { type: 'spawn' }]);
    expect(h.s).toMatchObject({ state: 'starting', restarts: 1, restartPending: false });
  });

  it('start while stopping starts again after the stop; start while running is ALREADY_RUNNING', () => {
    const h = new Harness();
    h.send({ type: 'start' });
    expect(() => h.send({ type: 'start' })).toThrow(expect.objectContaining({ code: 'ALREADY_RUNNING' }));
    h.send({ type: 'spawned', pid: 1 });
    h.send({ type: 'stop' });
    h.send({ type: 'start' });
    expect(h.s.restartPending).toBe(true);
  });

  it('the last command wins: stop, start, stop while the group is still stopping ends stopped', () => {
    const h = new Harness();
    h.send({ type: 'start' });
    h.send({ type: 'spawned', pid: 7 });
    h.send({ type: 'stop' });
    h.send({ type: 'start' });
    expect(h.s).toMatchObject({ state: 'stopping', restartPending: true });
    h.send({ type: 'stop' });
    expect(h.s).toMatchObject({ state: 'stopping', restartPending: false });
    h.send({ type: 'exit', code: null, signal: 'SIGTERM' }, 10);
    expect(h.s.state).toBe('stopped');
    expect(h.effects).toEqual([{ type: 'cancel', timer: 'kill' }]);
  });

  it('illegal events are coded errors', () => {
    const h = new Harness();
    expect(() => h.send({ type: 'spawned', pid: 1 })).toThrow(expect.objectContaining({ code: 'ILLEGAL_TRANSITION' }));
    expect(() => h.send({ type: 'exit', code: 0, signal: null })).toThrow(expect.objectContaining({ code: 'ILLEGAL_TRANSITION' }));
  });
});
