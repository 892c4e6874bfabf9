import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { JobctlClient } from '../../src/api/client.js';
import { ApiServer, type Connection, type Handlers } from '../../src/api/server.js';
import { followLog } from '../../src/cli/log-follow.js';
import { EXIT, type Io } from '../../src/cli/output.js';
import { tempDir } from '../helpers/temp.js';
import { waitFor } from '../helpers/wait.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

const CHUNK = 'y\n'.repeat(32 * 1024); // 64 KiB, as a pipe delivers a flood

interface Flood {
  server: ApiServer;
  socketPath: string;
  drops: string[];
  /** The server-side connection of the last `logs` call. */
  conn(): Connection | undefined;
  /** Bytes the server has offered as log output. */
  offered(): number;
}

/** A real server whose `logs` call follows an endless flood, pushed as fast as the event loop turns. */
async function floodServer(opts: { stallMs?: number; highWaterBytes?: number; lingerMs?: number } = {}): Promise<Flood> {
  const t = tempDir('jobctl-api-');
  const socketPath = path.join(t.dir, 'state', 'jobctl.sock');
  const drops: string[] = [];
  let last: Connection | undefined;
  let offered = 0;
  const handlers = {
    hello: () => ({ protocol: 1, version: 'test', pid: process.pid, home: t.dir }),
    logs: (_p: unknown, conn: Connection) => {
      last = conn;
      const pump = () => {
        if (conn.closed) return;
        for (let i = 0; i < 4; i++) {
          conn.push({ event: 'log', data: { subscription: 1, task: 'flood', text: CHUNK } });
          offered += CHUNK.length;
        }
        setImmediate(pump);
      };
      setImmediate(pump);
      return { lines: [], files: [], subscription: 1 };
    },
  } as unknown as Handlers;
  const server = new ApiServer({ socketPath, handlers, onDrop: (m) => drops.push(m), ...opts });
  await server.listen();
  cleanups.push(() => t.cleanup());
  cleanups.push(() => server.close());
  return { server, socketPath, drops, conn: () => last, offered: () => offered };
}

function memoryIo(): Io & { errors: string[] } {
  const errors: string[] = [];
  return { out: () => undefined, err: (t) => errors.push(t), color: false, errors };
}

describe('ApiServer.listen', () => {
  it('refuses a socket path longer than a Unix socket holds, and binds nothing (no truncated socket beside the home)', async () => {
    const t = tempDir('jobctl-api-');
    cleanups.push(() => t.cleanup());
    const home = path.join(t.dir, 'h'.repeat(120));
    const socketPath = path.join(home, 'state', 'jobctl.sock');
    const server = new ApiServer({ socketPath, handlers: {} as Handlers });
    cleanups.push(() => server.close());
    await expect(server.listen()).rejects.toThrow(/too long for a Unix socket.*shorter home/);
    const truncated = Buffer.from(socketPath).subarray(0, 107).toString();
    const strays = fs.readdirSync(t.dir).filter((n) => path.join(t.dir, n) !== home);
    for (const n of strays) fs.rmSync(path.join(t.dir, n), { force: true });
    expect(strays, `bound at ${truncated}`).toEqual([]);
  });

  it('does not leave the process umask changed while it waits (children spawned meanwhile inherit it)', async () => {
    const t = tempDir('jobctl-api-');
    cleanups.push(() => t.cleanup());
    const socketPath = path.join(t.dir, 'state', 'jobctl.sock');
    const server = new ApiServer({ socketPath, handlers: {} as Handlers });
    cleanups.push(() => server.close());
    const before = process.umask();
    const listening = server.listen();
    const during = process.umask(); // what a child spawned now would get
    await listening;
    expect(during.toString(8)).toBe(before.toString(8));
    expect(process.umask()).toBe(before);
    expect(fs.statSync(socketPath).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(socketPath)).mode & 0o777).toBe(0o700);
  });
});

describe('per-connection backpressure', () => {
  it('a client that keeps reading is never cut off by a flood; it is told what it missed', async () => {
    const f = await floodServer({ stallMs: 1000 });
    const client = await JobctlClient.connect(f.socketPath);
    cleanups.push(() => client.close());
    let received = 0;
    let skipped = 0;
    const events = new Set<string>();
    client.on('push', (m) => {
      events.add(m.event);
      if (m.event === 'log') received += m.data.text.length;
      if (m.event === 'log-skipped') skipped += m.data.bytes;
    });
    await client.call('logs', { task: 'flood', follow: true });
    await new Promise((r) => setTimeout(r, 5000));
    expect(client.closed).toBe(false);
    expect(events.has('dropped')).toBe(false);
    expect(f.drops).toEqual([]);
    expect(received).toBeGreaterThan(10 * 1024 * 1024);
    // The server may offer more than a client takes; what it left out, it counted.
    expect(received + skipped).toBeLessThanOrEqual(f.offered());
    // The connection still answers requests.
    expect((await client.call('hello', {})).version).toBe('test');
  });

  it('a client that stops reading is dropped with the reason, its memory stays bounded, and it reads why', async () => {
    const f = await floodServer({ stallMs: 500, highWaterBytes: 256 * 1024, lingerMs: 20_000 });
    const client = await JobctlClient.connect(f.socketPath);
    cleanups.push(() => client.close());
    const pushes: string[] = [];
    let reason: string | undefined;
    client.on('push', (m) => {
      pushes.push(m.event);
      if (m.event === 'dropped') reason = m.data.reason;
    });
    await client.call('logs', { task: 'flood', follow: true });
    client.pause();
    await waitFor(() => f.drops.length > 0, 10_000, 'the server to drop the stalled client');
    expect(f.drops[0]).toMatch(/^client \d+ dropped: read nothing for 1s while output waited$/);
    // The flood stopped for this connection (its subscription ended) and the server holds little for it.
    expect(f.conn()!.closed).toBe(true);
    const offered = f.offered();
    await new Promise((r) => setTimeout(r, 200));
    expect(f.offered()).toBe(offered);
    client.resume();
    await waitFor(() => client.closed, 10_000, 'the dropped connection to close');
    expect(reason).toBe('read nothing for 1s while output waited');
    expect(client.dropped).toBe(reason);
    expect(pushes.at(-1)).toBe('dropped');
  });

  it('`logs -f` whose output stalls: the CLI pauses, is dropped, prints the reason and exits DROPPED', async () => {
    const f = await floodServer({ stallMs: 500, highWaterBytes: 256 * 1024 });
    const client = await JobctlClient.connect(f.socketPath);
    cleanups.push(() => client.close());
    const r = await client.call('logs', { task: 'flood', follow: true });
    // An output that stalls for 3 s (a paused pager), then reads on: the CLI stops reading the
    // socket meanwhile, the server drops it, and once the pager moves the CLI reads why.
    const { Writable } = await import('node:stream');
    let stalled = false;
    const out = new Writable({
      highWaterMark: 1024,
      write: (_c, _e, cb) => {
        if (stalled) return cb();
        stalled = true;
        setTimeout(cb, 3000);
      },
    });
    const io = memoryIo();
    const code = await followLog(client, r.subscription!, io, { out });
    expect(code).toBe(EXIT.DROPPED);
    expect(f.drops).toHaveLength(1);
    expect(io.errors.at(-1)).toBe('jobctl: the daemon stopped sending: read nothing for 1s while output waited');
  });

  it('`logs -f` into a reader that closes (EPIPE) ends quietly with OK', async () => {
    const f = await floodServer();
    const client = await JobctlClient.connect(f.socketPath);
    cleanups.push(() => client.close());
    const r = await client.call('logs', { task: 'flood', follow: true });
    const { Writable } = await import('node:stream');
    const out = new Writable({
      write: (_c, _e, cb) => cb(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' })),
    });
    const io = memoryIo();
    expect(await followLog(client, r.subscription!, io, { out })).toBe(EXIT.OK);
    expect(io.errors).toEqual([]);
  });

  it('a raw client that floods requests without reading replies is dropped, not buffered without bound', async () => {
    const f = await floodServer({ stallMs: 500, highWaterBytes: 64 * 1024 });
    const sock = net.createConnection(f.socketPath);
    cleanups.push(() => sock.destroy());
    await new Promise((r) => sock.once('connect', r));
    sock.pause();
    const line = `${JSON.stringify({ id: 1, method: 'hello', params: {} })}\n`.repeat(1000);
    const timer = setInterval(() => sock.write(line), 5);
    cleanups.push(() => clearInterval(timer));
    await waitFor(() => f.drops.length > 0, 15_000, 'the server to drop the client');
    expect(f.drops[0]).toMatch(/dropped: (read nothing|more than)/);
  });
});
