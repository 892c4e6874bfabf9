import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { InstanceDriver, type InstanceNotice, type InstanceStatus } from '../../src/runtime/instance-driver.js';
import { LogSink } from '../../src/runtime/log-sink.js';
import { homePaths } from '../../src/shared/paths.js';
import type { DaemonTaskSpec, HealthSpec } from '../../src/shared/types.js';
import { daemonSpec, fixture } from '../helpers/specs.js';
import { tempDir } from '../helpers/temp.js';
import { freePort } from '../helpers/net.js';
import { killGroup, livePids, waitFor } from '../helpers/wait.js';

/** Health checks on real instances: a real HTTP server that becomes ready, one that never does, command probes. */

const temps: Array<() => void> = [];
const drivers: InstanceDriver[] = [];
const groups = new Set<number>();

afterEach(async () => {
  await Promise.all(drivers.splice(0).map((d) => d.dispose()));
});
afterAll(() => {
  const left = [...groups].filter((g) => livePids(g).length > 0);
  left.forEach(killGroup);
  temps.forEach((c) => c());
  expect(left).toEqual([]);
});

function start(over: Partial<DaemonTaskSpec>) {
  const t = tempDir();
  temps.push(t.cleanup);
  const spec = daemonSpec({ cwd: t.dir, ...over });
  const sink = new LogSink({ path: homePaths(t.dir).instanceLog(spec.name, 0), logs: spec.logs });
  const driver = new InstanceDriver({ spec, index: 0, sink, drainMs: 200 });
  const states: Array<InstanceStatus & { at: number }> = [];
  const notices: InstanceNotice[] = [];
  driver.on('state', (s: InstanceStatus) => {
    states.push({ ...s, at: Date.now() });
    if (s.pid) groups.add(s.pid);
  });
  driver.on('notify', (n: InstanceNotice) => notices.push(n));
  drivers.push(driver);
  driver.start();
  return { driver, states, notices, dir: t.dir };
}


const health = (over: Partial<HealthSpec>): HealthSpec => ({
  probe: { kind: 'command', command: 'true' }, intervalMs: 200, timeoutMs: 2000, startPeriodMs: 0, failures: 3, ...over,
});

describe('health checks on real instances', () => {
  it('an HTTP worker becomes healthy after about 1 s, with the probe output in status', async () => {
    const port = await freePort();
    const t0 = Date.now();
    const { driver, states } = start({
      command: ['node', fixture('http-ready.cjs')], env: { PORT: String(port), READY_AFTER_MS: '1000' },
      health: health({ probe: { kind: 'http', url: `http://127.0.0.1:${port}/` }, intervalMs: 200, startPeriodMs: 3000 }),
    });
    await waitFor(() => driver.status().health?.state === 'healthy', 10_000, 'healthy');
    const tookMs = Date.now() - t0;
    expect(tookMs).toBeGreaterThanOrEqual(1000);
    expect(tookMs).toBeLessThan(20_000); // a generous guard: it did become healthy, not after the start period ran out many times
    const h = driver.status().health!;
    expect(h).toMatchObject({ state: 'healthy', failures: 0, lastProbe: { ok: true, output: 'HTTP 200 OK\nready' } });
    // Before that it was starting, with the 503 answers shown (inside start_period they did not count).
    const before = states.filter((s) => s.health?.lastProbe && !s.health.lastProbe.ok);
    expect(before.length).toBeGreaterThan(0);
    expect(before.every((s) => s.health!.state === 'starting' && s.health!.failures === 0)).toBe(true);
    expect(before.map((s) => s.health!.lastProbe!.output)).toContain('HTTP 503 Service Unavailable, expected 2xx or 3xx\nwarming up');
    expect(driver.status().restarts).toBe(0);
  });

  it('a worker that never becomes healthy is unhealthy, notified, and restarted after `failures` failures', async () => {
    const port = await freePort();
    const { driver, states, notices } = start({
      command: ['node', fixture('http-ready.cjs')], env: { PORT: String(port), NEVER_READY: '1' },
      health: health({ probe: { kind: 'http', url: `http://127.0.0.1:${port}/` }, intervalMs: 200, failures: 3 }),
      maxRestarts: 100,
    });
    await waitFor(() => driver.status().restarts >= 2, 15_000, 'two restarts');
    const unhealthy = states.find((s) => s.health?.state === 'unhealthy')!;
    expect(unhealthy.health).toMatchObject({ failures: 3, lastProbe: { ok: false } });
    expect(notices.filter((n) => n.event === 'unhealthy')[0]).toMatchObject({
      task: 'test-task', instance: 0, event: 'unhealthy',
      message: expect.stringMatching(/^health check failed 3 times in a row: (HTTP 503 Service Unavailable|GET http)/),
    });
    // Each restart is a new process, checked from `starting` again.
    const pids = new Set(states.map((s) => s.pid).filter(Boolean));
    expect(pids.size).toBeGreaterThanOrEqual(2);
    expect(states.some((s, i) => i > states.indexOf(unhealthy) && s.health?.state === 'starting')).toBe(true);
  });

  it('failures: 0 only reports: unhealthy, notified once, never restarted; recovery notifies', async () => {
    const { driver, notices, dir } = start({
      command: 'sleep 1000',
      health: health({ probe: { kind: 'command', command: 'test -f ok && echo fine || { echo "no ok file"; exit 1; }' }, intervalMs: 100, failures: 0 }),
    });
    await waitFor(() => driver.status().health?.state === 'unhealthy', 10_000, 'unhealthy');
    await waitFor(() => (driver.status().health?.failures ?? 0) >= 4, 10_000, 'more failures');
    expect(driver.status()).toMatchObject({ state: 'running', restarts: 0, health: { state: 'unhealthy', lastProbe: { ok: false, output: 'health command exited with code 1\nno ok file' } } });
    expect(notices.map((n) => n.event)).toEqual(['unhealthy']);
    (await import('node:fs')).writeFileSync(`${dir}/ok`, '');
    await waitFor(() => driver.status().health?.state === 'healthy', 10_000, 'healthy again');
    expect(driver.status().health!.lastProbe!.output).toBe('fine');
    expect(notices.map((n) => n.event)).toEqual(['unhealthy', 'recovered']);
  });

  it('a command probe sees the instance: JOBCTL_TASK, JOBCTL_INSTANCE, JOBCTL_PID and the task env', async () => {
    const { driver } = start({
      command: 'sleep 1000', env: { SERVICE_NAME: 'svc' },
      health: health({ probe: { kind: 'command', command: 'echo "$JOBCTL_TASK/$JOBCTL_INSTANCE pid=$JOBCTL_PID $SERVICE_NAME"; kill -0 "$JOBCTL_PID"' } }),
    });
    await waitFor(() => driver.status().health?.state === 'healthy', 10_000, 'healthy');
    expect(driver.status().health!.lastProbe!.output).toBe(`test-task/0 pid=${driver.status().pid} svc`);
  });

  it('health added, changed and removed on a running instance applies live, without a restart', async () => {
    const { driver } = start({ command: 'sleep 1000' });
    await waitFor(() => driver.status().state === 'running', 10_000, 'running');
    const pid = driver.status().pid;
    expect(driver.status().health).toBeUndefined();
    const spec = daemonSpec({ command: 'sleep 1000', health: health({ probe: { kind: 'command', command: 'echo one' } }) });
    driver.setSpec(spec);
    await waitFor(() => driver.status().health?.lastProbe?.output === 'one', 10_000, 'first probe');
    driver.setSpec({ ...spec, health: health({ probe: { kind: 'command', command: 'echo two' } }) });
    await waitFor(() => driver.status().health?.lastProbe?.output === 'two', 10_000, 'changed probe');
    const { health: _dropped, ...withoutHealth } = spec;
    driver.setSpec(withoutHealth);
    expect(driver.status().health).toBeUndefined();
    expect(driver.status()).toMatchObject({ state: 'running', pid, restarts: 0 });
  });

  it('no health while stopped; probing ends with the process', async () => {
    const { driver } = start({ command: 'sleep 1000', health: health({}) });
    await waitFor(() => driver.status().health?.state === 'healthy', 10_000, 'healthy');
    await driver.stop();
    expect(driver.status().state).toBe('stopped');
    expect(driver.status().health).toBeUndefined();
  });
});
