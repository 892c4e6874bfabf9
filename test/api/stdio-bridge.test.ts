import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiServer, type Handlers } from '../../src/api/server.js';
import { bridgeStdio } from '../../src/api/stdio-bridge.js';
import { tempDir } from '../helpers/temp.js';
import { waitFor } from '../helpers/wait.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

function sockPath(): string {
  const t = tempDir('jobctl-bridge-');
  cleanups.push(t.cleanup);
  return path.join(t.dir, 's.sock');
}

describe('dial-stdio --as: the bridge names the operator before the client speaks', () => {
  it('the daemon holds the connection to the operator; its answer is not forwarded', async () => {
    const socketPath = sockPath();
    const handlers = { hello: () => ({ protocol: 1, version: 't', pid: 1, home: '/h', startedAt: 0 }) } as unknown as Handlers;
    const server = new ApiServer({ socketPath, handlers, access: { owner: 'root', rules: () => ({ bob: { role: 'viewer' } }), tasks: () => [], groupOf: () => undefined } });
    await server.listen();
    cleanups.push(() => server.close());
    const input = new PassThrough();
    const output = new PassThrough();
    let out = '';
    output.on('data', (d: Buffer) => (out += d.toString()));
    const done = bridgeStdio(socketPath, input, output, { operator: 'bob', from: '10.0.0.1 5000 10.0.0.2 22' });
    input.write('{"id":1,"method":"hello"}\n{"id":2,"method":"identify","params":{"operator":"carol"}}\n');
    await waitFor(() => out.split('\n').length > 2, 5000, 'two replies');
    const [hello, claim] = out.trim().split('\n').map((l) => JSON.parse(l) as { id: number; result?: { identity: unknown }; error?: { code: string } }).sort((a, b) => a.id - b.id);
    expect(hello).toEqual({ id: 1, result: expect.objectContaining({ identity: { operator: 'bob', role: 'viewer' } }) });
    expect(claim).toMatchObject({ id: 2, error: { code: 'FORBIDDEN' } });
    input.end();
    await server.close();
    await done;
  });

  it('a daemon that does not take the name gets no client bytes (they would speak with the owner\'s rights)', async () => {
    const socketPath = sockPath();
    let received = '';
    const old = net.createServer((s) => s.on('data', (d: Buffer) => {
      received += d.toString();
      s.write('{"id":"dial-stdio:identify","error":{"code":"UNKNOWN_METHOD","message":"unknown method \\"identify\\""}}\n');
    }));
    await new Promise<void>((r) => old.listen(socketPath, () => r()));
    cleanups.push(() => new Promise<void>((r) => old.close(() => r())));
    cleanups.push(() => fs.rmSync(socketPath, { force: true }));
    const input = new PassThrough();
    input.write('{"id":1,"method":"shutdown"}\n');
    await expect(bridgeStdio(socketPath, input, new PassThrough(), { operator: 'bob' })).rejects.toThrow(/did not take the operator's name: unknown method "identify"; upgrade jobctl/);
    expect(received).not.toContain('shutdown');
  });
});
