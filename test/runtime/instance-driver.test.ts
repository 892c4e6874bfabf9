import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InstanceDriver } from '../../src/runtime/instance-driver.js';
import { LogSink } from '../../src/runtime/log-sink.js';
import type { StateStore } from '../../src/runtime/state-store.js';
import { DEFAULTS } from '../../src/config/defaults.js';
import { daemonSpec } from '../helpers/specs.js';
import { tempDir } from '../helpers/temp.js';
import { waitFor } from '../helpers/wait.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

function sinkIn(dir: string): LogSink {
  const sink = new LogSink({ path: path.join(dir, 'x.log'), logs: { ...DEFAULTS.logs } });
  cleanups.push(() => sink.close());
  return sink;
}

describe('InstanceDriver: a process that never stays up (real processes)', () => {
  it('goes fatal after start_retries failed starts and notifies fatal, with a large max_restarts', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const driver = new InstanceDriver({
      spec: daemonSpec({ command: 'exit 1', startRetries: 2, maxRestarts: 1000, startMs: 1000, backoff: { initialMs: 50, maxMs: 100 } }),
      index: 0, sink: sinkIn(t.dir),
    });
    cleanups.push(() => driver.dispose());
    const notices: string[] = [];
    driver.on('notify', (n: { event: string }) => notices.push(n.event));
    driver.start();
    await waitFor(() => driver.state === 'fatal', 10_000, 'fatal');
    expect(notices).toEqual(['failure', 'failure', 'fatal']);
    expect(driver.status().message).toMatch(/gave up after 3 failed starts in a row.*\(start_retries 2\)$/);
  });
});

describe('InstanceDriver after an exit', () => {
  it('a failing child-record write is a warning, not an unhandled rejection, and the exit still reaches the machine', async () => {
    const rejections: unknown[] = [];
    const onRejection = (e: unknown) => rejections.push(e);
    process.on('unhandledRejection', onRejection);
    cleanups.push(() => process.off('unhandledRejection', onRejection));
    const t = tempDir();
    cleanups.push(t.cleanup);
    const sink = new LogSink({ path: path.join(t.dir, 'x.log'), logs: { ...DEFAULTS.logs } });
    cleanups.push(() => sink.close());
    const store = {
      recordChild: () => undefined,
      forgetChild: () => {
        throw new Error('disk full');
      },
    } as unknown as StateStore;
    const driver = new InstanceDriver({ spec: daemonSpec({ command: 'exit 3', restart: 'never' }), index: 0, sink, store });
    cleanups.push(() => driver.dispose());
    const warnings: string[] = [];
    driver.on('warning', (w: string) => warnings.push(w));
    driver.start();
    await waitFor(() => driver.state === 'exited', 10_000, 'the exit to reach the machine');
    expect(driver.status().lastExit?.code).toBe(3);
    expect(warnings).toEqual(['test-task/0: forgetting the child record: disk full']);
    // An unhandled rejection is reported once the microtasks have run: one turn of the loop.
    await new Promise((r) => setImmediate(r));
    expect(rejections).toEqual([]);
  });
});

/** A driver whose `sleep` runs (restart: always, no backoff), and its pid. */
async function runningSleeper(): Promise<{ driver: InstanceDriver; pid: number }> {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const driver = new InstanceDriver({ spec: daemonSpec({ command: 'sleep 1000', restart: 'always', startMs: 0, backoff: { initialMs: 0, maxMs: 0 } }), index: 0, sink: sinkIn(t.dir) });
  cleanups.push(() => driver.dispose());
  driver.start();
  await waitFor(() => driver.state === 'running' && driver.status().pid !== undefined, 10_000, 'running');
  return { driver, pid: driver.status().pid! };
}

describe('InstanceDriver retired (its task removed; its stop comes in its turn)', () => {
  it('a process that dies before its stop is not restarted: the instance is stopped, with no restart counted', async () => {
    const { driver, pid } = await runningSleeper();
    driver.retire();
    // A restart asked for meanwhile (a health check, max_lifetime) waits for the stop too.
    driver.restart('health check failed');
    expect(driver.status().pid).toBe(pid);
    process.kill(pid, 'SIGKILL');
    await waitFor(() => driver.state === 'stopped', 10_000, 'stopped, not restarted');
    expect(driver.status().restarts).toBe(0);
    expect(driver.status().pid).toBeUndefined();
    await driver.dispose();
    expect(driver.state).toBe('stopped');
  });

  it('an instance already restarting (stopping, its start to follow) when retired is not started again by its exit', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    // The process outlives SIGTERM by a moment: its exit comes after retire().
    const driver = new InstanceDriver({ spec: daemonSpec({ command: 'trap "sleep 0.3; exit 0" TERM; sleep 1000 & wait', restart: 'always', startMs: 0 }), index: 0, sink: sinkIn(t.dir) });
    cleanups.push(() => driver.dispose());
    driver.start();
    await waitFor(() => driver.state === 'running' && driver.status().pid !== undefined, 10_000, 'running');
    driver.restart('max_lifetime');
    expect(driver.state).toBe('stopping');
    driver.retire();
    await waitFor(() => driver.state !== 'stopping', 10_000, 'the exit');
    expect(driver.state).toBe('stopped');
    expect(driver.status().pid).toBeUndefined();
    expect(driver.status().restarts).toBe(0);
  });

  it('unretired (a scale back up took its slot back before its stop came), a crash restarts it as before', async () => {
    const { driver, pid } = await runningSleeper();
    driver.retire();
    driver.unretire();
    process.kill(pid, 'SIGKILL');
    await waitFor(() => driver.state === 'running' && driver.status().pid !== undefined && driver.status().pid !== pid, 10_000, 'restarted');
    expect(driver.status().restarts).toBe(1);
  });

  it('an instance waiting to restart (backoff after a failed start) stops at once', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const driver = new InstanceDriver({ spec: daemonSpec({ command: 'exit 1', restart: 'always', startMs: 5000, startRetries: 10, backoff: { initialMs: 60_000, maxMs: 60_000 } }), index: 0, sink: sinkIn(t.dir) });
    cleanups.push(() => driver.dispose());
    driver.start();
    await waitFor(() => driver.state === 'backoff', 10_000, 'backoff');
    driver.retire();
    expect(driver.state).toBe('stopped');
  });
});
