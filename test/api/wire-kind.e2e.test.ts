import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { JobctlClient } from '../../src/api/client.js';
import type { PushMessage } from '../../src/shared/protocol.js';
import { homePaths } from '../../src/shared/paths.js';
import { jobctl } from '../helpers/cli.js';
import { cleanupDaemons, makeHome, startTestDaemon } from '../helpers/daemon.js';
import { closeFakePeers, fakePeer } from '../helpers/fake-peer.js';
import { waitFor } from '../helpers/wait.js';

/** What a protocol-2 daemon (jobctl at a7bfbf2) answered, recorded on the wire: `kind: "daemon"` for a service. */
const OLD = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, '../fixtures/protocol-2/replies.json'), 'utf8')) as {
  hello: unknown; status: unknown; restart: unknown; statePush: unknown;
};

const clients: JobctlClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await closeFakePeers();
  expect(await cleanupDaemons()).toEqual([]);
});

/** A peer that answers as the recorded older daemon did; `subscribe` is followed by the recorded push. */
const olderDaemon = () => fakePeer((socket, req) => {
  const result = req.method === 'subscribe' ? { subscription: 1 } : OLD[req.method as 'hello' | 'status' | 'restart'];
  socket.write(`${JSON.stringify(result === undefined ? { id: req.id, error: { code: 'BAD_REQUEST', message: 'unknown method' } } : { id: req.id, result })}\n`);
  if (req.method === 'subscribe') socket.write(`${JSON.stringify(OLD.statePush)}\n`);
});

describe('a client of an older daemon reads its replies in this version\'s words', () => {
  it('status --json of a protocol-2 daemon shows the long-running task as kind "service"', async () => {
    const home = await olderDaemon();
    const r = await jobctl(['status', '--json'], { home });
    expect(r.code).toBe(0);
    const tasks = (JSON.parse(r.stdout) as { tasks: Array<{ name: string; kind: string }> }).tasks;
    expect(Object.fromEntries(tasks.map((t) => [t.name, t.kind]))).toEqual({ web: 'service', report: 'cron' });
    expect(r.stdout).not.toMatch(/"kind": "daemon"/);
  });

  it('a control reply and a state push of a protocol-2 daemon carry kind "service"', async () => {
    const home = await olderDaemon();
    const c = await JobctlClient.connect(homePaths(home).socket);
    clients.push(c);
    expect((await c.call('hello', {})).protocol).toBe(2);
    expect((await c.call('restart', { target: 'web' })).tasks.map((t) => t.kind)).toEqual(['service']);
    const pushes: PushMessage[] = [];
    c.on('push', (m: PushMessage) => pushes.push(m));
    await c.call('subscribe', { events: ['state'] });
    await waitFor(() => pushes.length > 0, 5000, 'the recorded state push');
    expect(pushes[0]).toMatchObject({ event: 'state', data: { name: 'web', kind: 'service', state: 'starting' } });
  });
});

/** Raw lines over the socket, as a client of any revision reads them (no mapping). */
async function rawExchange(socket: string, lines: object[], until: (msgs: Array<Record<string, unknown>>) => boolean): Promise<Array<Record<string, unknown>>> {
  const c = net.connect(socket);
  const msgs: Array<Record<string, unknown>> = [];
  let buf = '';
  c.on('data', (d) => {
    buf += d.toString();
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      msgs.push(JSON.parse(buf.slice(0, i)) as Record<string, unknown>);
      buf = buf.slice(i + 1);
    }
  });
  await new Promise<void>((r) => c.once('connect', r));
  for (const l of lines) c.write(`${JSON.stringify(l)}\n`);
  try {
    return (await waitFor(() => (until(msgs) ? msgs : undefined), 20_000, 'the replies'))!;
  } finally {
    c.destroy();
  }
}

describe('a client older than the daemon (the CLI on a laptop lags the hosts)', () => {
  it('reads a service as the long-running kind: on the socket its kind is still "daemon", while this client shows "service"', async () => {
    const home = makeHome({ 'tasks/t.yaml': 'tasks:\n  web:\n    command: ["sleep", "600"]\n  report:\n    schedule: "0 0 * * *"\n    command: ["true"]\n' });
    const d = await startTestDaemon(home);
    await waitFor(async () => (await jobctl(['status', 'web', '--json'], { home })).stdout.includes('"running": 1'), 20_000, 'web running');
    // What a protocol-2 client reads (it knows "daemon" and "cron" only).
    const msgs = await rawExchange(d.socket, [
      { id: 1, method: 'hello', params: { client: 'jobctl 0.1.0 (protocol 2)' } },
      { id: 2, method: 'status', params: {} },
      { id: 3, method: 'subscribe', params: { events: ['state'] } },
      { id: 4, method: 'restart', params: { target: 'web' } },
    ], (m) => m.some((x) => x.id === 4) && m.some((x) => x.event === 'state'));
    const result = (id: number) => msgs.find((x) => x.id === id)!.result as { tasks: Array<{ name: string; kind: string }>; protocol?: number };
    expect(result(1).protocol).toBe(3);
    expect(Object.fromEntries(result(2).tasks.map((t) => [t.name, t.kind]))).toEqual({ web: 'daemon', report: 'cron' });
    expect(result(4).tasks.map((t) => t.kind)).toEqual(['daemon']);
    expect(msgs.find((x) => x.event === 'state')).toMatchObject({ data: { name: 'web', kind: 'daemon' } });
    // This client, on the same daemon, says service.
    const mine = JSON.parse((await jobctl(['status', '--json'], { home })).stdout) as { tasks: Array<{ name: string; kind: string }> };
    expect(Object.fromEntries(mine.tasks.map((t) => [t.name, t.kind]))).toEqual({ web: 'service', report: 'cron' });
    await d.stop();
  });
});
