import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { JobctlClient } from '../../src/api/client.js';
import type { PushMessage } from '../../src/shared/protocol.js';
import { homePaths } from '../../src/shared/paths.js';
import { jobctl } from '../helpers/cli.js';
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
