import { afterAll, describe, expect, it } from 'vitest';
import { subscribeEvents } from '../../src/api/subscribe-events.js';
import type { DaemonEvent } from '../../src/shared/protocol.js';
import { HostLinks, type HostEvent } from '../../src/web/host-links.js';
import { cleanupDaemons, makeHome, startTestDaemon, taskStatus } from '../helpers/daemon.js';
import { waitFor } from '../helpers/wait.js';

afterAll(async () => {
  await cleanupDaemons();
});

/**
 * The daemon keeps its last 200 events; `subscribe` with `recent` (protocol 2) returns them in
 * its reply, so `top` and the web view do not open on an empty events pane, and a scoped
 * operator's backlog is cut as its pushes are.
 */
describe('the events that happened before a viewer connected', () => {
  it('come in the subscribe reply, oldest first, cut to a scoped operator; the web links emit them', async () => {
    const home = makeHome({
      'tasks/billing.yaml': 'tasks:\n  billing-sync: {command: sleep 1000}\n',
      'tasks/ops.yaml': 'tasks:\n  ops-db: {command: sleep 1000}\n',
      'jobctl.yaml': 'access:\n  alice: {role: operator, tasks: ["@billing"]}\n',
    });
    const d = await startTestDaemon(home);
    const admin = await d.client();
    // A scale is one of the daemon's events about a task.
    for (const task of ['billing-sync', 'ops-db']) await admin.call('scale', { task, count: 2 });
    await waitFor(async () => (await taskStatus(d, 'ops-db')).running === 2, 30_000, 'scaled');
    const hello = await admin.call('hello', {});
    expect(hello.protocol).toBeGreaterThanOrEqual(2);
    const all = await subscribeEvents(admin, 200, hello.protocol);
    const tasks = (es: DaemonEvent[]) => new Set(es.map((e) => e.task).filter(Boolean));
    expect(tasks(all.recent)).toEqual(new Set(['billing-sync', 'ops-db']));
    expect(all.recent.map((e) => e.at)).toEqual([...all.recent.map((e) => e.at)].sort((a, b) => a - b));
    // A smaller count is the newest ones.
    const two = await admin.call('subscribe', { events: ['event'], recent: 2 });
    expect(two.recent).toEqual(all.recent.slice(-2));
    admin.close();

    const alice = await d.client();
    await alice.call('identify', { operator: 'alice' });
    const mine = await subscribeEvents(alice, 200);
    expect(mine.recent.length).toBeGreaterThan(0);
    expect(tasks(mine.recent)).toEqual(new Set(['billing-sync']));
    expect(JSON.stringify(mine.recent)).not.toContain('ops-db');
    alice.close();

    // The web view's link to a host: the backlog is emitted as events when the link opens.
    const links = new HostLinks();
    const seen: HostEvent[] = [];
    links.on('event', (e: HostEvent) => seen.push(e));
    const c = await links.wrap('local', () => d.client())();
    expect(seen.filter((e) => e.task === 'ops-db').length).toBeGreaterThan(0);
    expect(seen.every((e) => e.host === 'local')).toBe(true);
    c.close();
  }, 90_000);
});
