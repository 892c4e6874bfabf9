import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobctlClient } from '../../src/api/client.js';
import type { DaemonEvent } from '../../src/shared/protocol.js';
import { ClientBackend, type ConnectionState } from '../../src/tui/backend.js';
import { TopLogPane } from '../../src/tui/top/log-pane.js';
import { cleanupDaemons, makeHome, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { waitFor } from '../helpers/wait.js';

/**
 * `jobctl top` talks to the daemon through the TUI's backend (ClientBackend, the same over the
 * local socket and ssh): a status snapshot with CPU and memory, the daemon's events, and the log
 * pane's follow/unfollow.
 */
let daemon: TestDaemon;
const backends: ClientBackend[] = [];

beforeAll(async () => {
  daemon = await startTestDaemon(makeHome({ 'tasks/app.yaml': 'tasks:\n  worker:\n    command: while true; do echo working; sleep 0.2; done\n    start_seconds: 100ms\n  base:\n    command: exec sleep 600\n    start_seconds: 100ms\n  waiter:\n    command: exec sleep 600\n    start_seconds: 100ms\n    depends_on: {base: started}\n' }));
}, 60_000);

afterAll(async () => {
  for (const b of backends) b.close();
  expect(await cleanupDaemons()).toEqual([]);
});

function connected(): Promise<ClientBackend> {
  const backend = new ClientBackend(() => JobctlClient.connect(daemon.socket), 200);
  backends.push(backend);
  const up = new Promise<ClientBackend>((resolve) => backend.on('connection', (s: ConnectionState) => s === 'connected' && resolve(backend)));
  backend.start();
  return up;
}

describe('top on the TUI backend', () => {
  it('a status snapshot carries each instance\'s CPU and memory', async () => {
    const backend = await connected();
    let mem: number | undefined;
    await waitFor(async () => {
      const worker = (await backend.status()).tasks.find((t) => t.name === 'worker');
      mem = worker?.kind === 'service' ? worker.instances?.[0]?.rss : undefined;
      return mem !== undefined && mem > 0;
    }, 10_000, 'worker sampled');
    expect((await backend.status()).daemon.pid).toBe(daemon.pid);
  });

  it('the events feed: the recent ones, then each as it comes', async () => {
    const backend = await connected();
    const recent = await backend.watchEvents(50);
    expect(recent.length).toBeGreaterThan(0);
    const live: DaemonEvent[] = [];
    backend.on('event', (e: DaemonEvent) => live.push(e));
    // waiter started while base is stopped waits for it: the daemon says so, an event.
    await backend.control('stop', 'waiter');
    await backend.control('stop', 'base');
    await backend.control('start', 'waiter').catch(() => undefined);
    await waitFor(() => live.some((e) => e.task === 'waiter'), 10_000, 'an event of waiter, live');
  });

  it('the log pane follows a task through the backend and unfollows it when the task changes', async () => {
    const backend = await connected();
    const shown: string[] = [];
    const labels: string[] = [];
    const pushed: string[] = [];
    const pane = new TopLogPane({ setLabel: (l) => labels.push(l), reset: (lines) => shown.splice(0, shown.length, ...lines), log: (l) => pushed.push(l) }, backend);
    pane.show('worker');
    expect(labels).toEqual([' log: worker ']);
    await waitFor(() => pushed.filter((l) => l.includes('working')).length >= 2, 10_000, 'live lines pushed');
    pane.show(undefined);
    expect(shown).toEqual([]);
    expect(labels.at(-1)).toBe(' log ');
    pane.stop();
  });
});
