import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { REFUSALS_RECORDED } from '../../src/api/access-gate.js';
import { ApiServer, type Handlers } from '../../src/api/server.js';
import { AuditTrail } from '../../src/runtime/audit-trail.js';
import type { AuditEntry } from '../../src/shared/protocol.js';
import { tempDir } from '../helpers/temp.js';
import { waitFor } from '../helpers/wait.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A real socket server with rights (`access:` holding bob, a viewer) and an audit trail of 64 KiB. */
async function auditedServer() {
  const t = tempDir('jobctl-audit-flood-');
  cleanups.push(() => t.cleanup());
  const socketPath = path.join(t.dir, 'state', 'jobctl.sock');
  const file = path.join(t.dir, 'state', 'audit.jsonl');
  const handlers = { hello: () => ({ protocol: 1, version: 'test', pid: process.pid, home: t.dir, startedAt: 0 }), stop: () => ({ tasks: [] }) } as unknown as Handlers;
  const server = new ApiServer({
    socketPath, handlers, audit: new AuditTrail(file, { maxBytes: 64 * 1024 }),
    access: { owner: 'owner', rules: () => ({ bob: { role: 'viewer' } }), tasks: () => [{ name: 'web', group: 'app' }], groupOf: () => 'app' },
  });
  await server.listen();
  cleanups.push(() => server.close());
  const connect = () => {
    const socket = net.createConnection(socketPath);
    cleanups.push(() => socket.destroy());
    let buf = '';
    const replies = new Map<number, { error?: { code: string } }>();
    socket.on('data', (d: Buffer) => {
      buf += d.toString();
      for (let nl = buf.indexOf('\n'); nl !== -1; nl = buf.indexOf('\n')) {
        const m = JSON.parse(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        replies.set(m.id, m);
      }
    });
    return { send: (id: number, method: string, params: object) => socket.write(`${JSON.stringify({ id, method, params })}\n`), replies };
  };
  const entries = (): AuditEntry[] => fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as AuditEntry);
  return { connect, entries };
}

describe('the audit trail under a flood of refusals', () => {
  it("a refused connection cannot push the others' control calls out of the bounded trail", async () => {
    const s = await auditedServer();
    const owner = s.connect();
    owner.send(1, 'stop', { target: 'web' });
    await waitFor(() => owner.replies.get(1), 5000, 'the owner\'s stop');

    // dave: taken out of access: (or never in it); every call is refused, in a loop.
    const dave = s.connect();
    dave.send(0, 'identify', { operator: 'dave' });
    const N = 2000;
    for (let i = 1; i <= N; i++) dave.send(i, 'stop', { target: `t${i}-${'x'.repeat(150)}` });
    await waitFor(() => dave.replies.get(N), 20_000, 'the last refusal');
    expect(dave.replies.get(N)?.error?.code).toBe('FORBIDDEN');

    const entries = s.entries();
    expect(entries.find((e) => e.operator === 'owner' && e.method === 'stop')).toMatchObject({ result: 'ok', target: 'web' });
    const refused = entries.filter((e) => e.operator === 'dave');
    expect(refused).toHaveLength(REFUSALS_RECORDED);
    expect(refused.at(-1)?.message).toMatch(/later ones are not recorded/);
    // A viewer's refusals are capped the same way, per connection.
    const bob = s.connect();
    bob.send(0, 'identify', { operator: 'bob' });
    for (let i = 1; i <= 100; i++) bob.send(i, 'stop', { target: 'web' });
    await waitFor(() => bob.replies.get(100), 10_000, 'bob\'s last refusal');
    expect(s.entries().filter((e) => e.operator === 'bob')).toHaveLength(REFUSALS_RECORDED);
  }, 60_000);
});
