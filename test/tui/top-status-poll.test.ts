import { describe, expect, it } from 'vitest';
import type { InstanceInfo, ServiceTaskStatus, StatusResult } from '../../src/shared/protocol.js';
import type { ConnectionState } from '../../src/tui/backend.js';
import { TopModel } from '../../src/tui/top/model.js';
import { StatusPoll } from '../../src/tui/top/status-poll.js';

/**
 * `top` diffs each status against the previous one for its events pane. Across a reconnect the
 * previous snapshot is from before the outage: what changed meanwhile was shown twice, once by
 * the daemon's own events (read again on the reconnect) and once as a diff (c23f, session 5).
 */

const status = (exitAt: number | undefined, restarts: number): StatusResult => ({
  daemon: { pid: 1, version: '', home: '/h', tasksDir: '', startedAt: 0, configErrors: [], warnings: [] },
  tasks: [{
    name: 'w', group: 'g', kind: 'service', enabled: true, file: '/f', state: 'running', desired: 'running', restarts, running: 1,
    instances: [{ index: 0, state: 'running', restarts, ...(exitAt !== undefined ? { lastExit: { at: exitAt, code: 1, signal: null } } : {}) } as InstanceInfo],
  } as ServiceTaskStatus],
});

/** A backend whose status answers are given by the test, one by one. */
function fakeBackend() {
  const waiting: ((s: StatusResult) => void)[] = [];
  return {
    connection: 'connected' as ConnectionState,
    status: () => new Promise<StatusResult>((r) => waiting.push(r)),
    answer(s: StatusResult) {
      waiting.shift()!(s);
    },
  };
}

function setup() {
  const backend = fakeBackend();
  const events: string[] = [];
  const failed: string[] = [];
  let shown = 0;
  const poll = new StatusPoll(backend, new TopModel(), {
    shown: (_s, e) => {
      shown++;
      events.push(...e);
    },
    failed: (m) => failed.push(m),
  });
  return { backend, poll, events, failed, shown: () => shown };
}

describe("top's status polls across a reconnect", () => {
  it('a change made while the daemon was out of reach is not shown as a task event after the reconnect', async () => {
    const { backend, poll, events } = setup();
    let p = poll.refresh();
    backend.answer(status(undefined, 0));
    await p;
    // The connection drops; meanwhile w#0 exits and restarts (the daemon's event says so on the reconnect).
    backend.connection = 'disconnected';
    poll.disconnected();
    backend.connection = 'connected';
    p = poll.refresh();
    backend.answer(status(1000, 1));
    await p;
    expect(events).toEqual([]);
    // A change seen between two polls of the same connection is shown, once.
    p = poll.refresh();
    backend.answer(status(2000, 2));
    await p;
    expect(events).toEqual(['w#0 exited with code 1; restarted']);
  });

  it('an answer to a poll asked before the drop is not used', async () => {
    const { backend, poll, events, shown } = setup();
    let p = poll.refresh();
    backend.answer(status(undefined, 0));
    await p;
    const stale = poll.refresh(); // asked, not answered yet
    backend.connection = 'disconnected';
    poll.disconnected();
    backend.connection = 'connected';
    backend.answer(status(500, 1)); // the old connection's answer comes late
    await stale;
    expect(shown()).toBe(1);
    p = poll.refresh();
    backend.answer(status(1000, 1));
    await p;
    expect(events).toEqual([]);
    expect(shown()).toBe(2);
  });

  it('one poll at a time, none while disconnected, and a failure is said', async () => {
    const { backend, poll, failed, shown } = setup();
    const p = poll.refresh();
    await poll.refresh(); // busy: returns at once
    backend.answer(status(undefined, 0));
    await p;
    expect(shown()).toBe(1);
    backend.connection = 'connecting';
    await poll.refresh();
    expect(shown()).toBe(1);
    backend.connection = 'connected';
    const bad = new StatusPoll({ connection: 'connected', status: () => Promise.reject(new Error('socket closed')) }, new TopModel(), { shown: () => undefined, failed: (m) => failed.push(m) });
    await bad.refresh();
    expect(failed).toEqual(['no status: socket closed']);
  });
});
