import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InstanceDriver, type InstanceNotice } from '../../src/runtime/instance-driver.js';
import { LogSink } from '../../src/runtime/log-sink.js';
import { instanceExits } from '../../src/runtime/process/paced-exits.js';
import type { ServiceTaskSpec } from '../../src/shared/types.js';
import { DEFAULTS } from '../../src/config/defaults.js';
import { hold } from '../helpers/loop-probe.js';
import { serviceSpec } from '../helpers/specs.js';
import { tempDir } from '../helpers/temp.js';
import { waitFor } from '../helpers/wait.js';

/**
 * An instance's exit waits for its turn in the daemon's paced queue (a burst of other exits
 * ahead of it) before the machine counts it. The leader's uptime ends when it exits, not when
 * its exit is counted: what runs on the instance's clock meanwhile must not judge a process
 * that is gone (real processes; the burst is other work queued ahead, each holding the loop).
 */

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

function start(over: Partial<ServiceTaskSpec>) {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const sink = new LogSink({ path: path.join(t.dir, 'x.log'), logs: { ...DEFAULTS.logs } });
  cleanups.push(() => sink.close());
  const driver = new InstanceDriver({ spec: serviceSpec({ cwd: t.dir, ...over }), index: 0, sink, drainMs: 200 });
  cleanups.push(() => driver.dispose());
  const notices: InstanceNotice[] = [];
  driver.on('notify', (n: InstanceNotice) => notices.push(n));
  driver.start();
  return { driver, notices };
}

/** Other exits ahead in the queue: `n` turns of the loop, each held 5 ms. */
function burstAhead(n: number): Promise<void[]> {
  return Promise.all(Array.from({ length: n }, () => instanceExits.run(async () => hold(5))));
}

describe('an instance exit that waits behind a burst of exits', () => {
  it('a process that dies before start_seconds is a failed start, though start_seconds passed while its exit waited', async () => {
    // start_retries 0: the first failed start is fatal. Dead at ~0.2 s, start_seconds 1 s, counted after ~2.5 s.
    const { driver } = start({ command: 'sleep 0.2; exit 3', startMs: 1000, startRetries: 0, maxRestarts: 100 });
    await waitFor(() => driver.status().pid, 10_000, 'the pid');
    const burst = burstAhead(500);
    await waitFor(() => driver.status().lastExit, 20_000, 'the exit to be counted');
    expect(driver.status().lastExit?.code).toBe(3);
    expect(driver.state).toBe('fatal');
    expect(driver.status().message).toMatch(/gave up after 1 failed starts in a row/);
    await burst;
  });

  it('a crash is a failure, not a restart asked by a health probe that ran while the exit waited', async () => {
    // The probe fails only once the process is gone (kill -0 of its pid).
    const { driver, notices } = start({
      command: 'sleep 0.4; exit 3', startMs: 100, maxRestarts: 100,
      health: { probe: { kind: 'command', command: 'kill -0 "$JOBCTL_PID"' }, intervalMs: 50, timeoutMs: 2000, startPeriodMs: 0, failures: 1 },
    });
    await waitFor(() => driver.state === 'running', 10_000, 'running');
    const burst = burstAhead(500);
    await waitFor(() => driver.status().lastExit, 20_000, 'the exit to be counted');
    const events = notices.map((n) => n.event);
    expect(driver.status().lastExit?.code).toBe(3);
    expect(events[0]).toBe('failure');
    expect(events).not.toContain('unhealthy');
    await burst;
  });

  it('the sampler is not handed the group of a leader that exited while its exit waits (a released box: /proc would be scanned)', async () => {
    // A stop's exit: it waits behind the others (a crash would go first).
    const { driver } = start({ command: 'sleep 1000', startMs: 100 });
    await waitFor(() => driver.pgid, 10_000, 'the group');
    const burst = burstAhead(500);
    const stopped = driver.stop();
    await waitFor(() => driver.pgid === undefined || driver.status().lastExit, 20_000, 'the leader to exit');
    expect(driver.status().lastExit).toBeUndefined(); // still waiting for its turn
    expect(driver.state).toBe('stopping');
    expect(driver.pgid).toBeUndefined();
    await Promise.all([burst, stopped]);
    expect(driver.state).toBe('stopped');
  });

  it('a crash is counted, and its replacement started, before the exits of stops queued ahead of it', async () => {
    const { driver } = start({ command: 'sleep 0.3; exit 3', startMs: 100, maxRestarts: 100 });
    await waitFor(() => driver.state === 'running', 10_000, 'running');
    const burst = burstAhead(500);
    await waitFor(() => driver.status().lastExit, 20_000, 'the exit to be counted');
    // 500 turns of 5 ms ahead of it: counted once the crash was known, not after them.
    expect(instanceExits.waiting).toBeGreaterThan(250);
    await burst;
  });
});
