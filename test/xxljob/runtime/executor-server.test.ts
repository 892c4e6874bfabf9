import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { wireFor } from '../../../src/xxljob/core/wire.js';
import { ExecutorServer } from '../../../src/xxljob/runtime/executor-server.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

const ok = () => ({ code: 200, msg: null });
async function server(): Promise<ExecutorServer> {
  const s = await ExecutorServer.start({
    host: '127.0.0.1', port: 0, wire: wireFor(2), token: 'secret', maxBodyBytes: 1024,
    endpoints: { beat: ok, idleBeat: ok, run: ok, kill: ok, log: ok },
  });
  cleanups.push(() => s.close());
  return s;
}

/** Sends only the head of a request (its body never comes) and returns what the server answered within `ms`. */
function headOnly(port: number, head: string, ms = 3000): Promise<string> {
  return new Promise((resolve) => {
    const c = net.connect(port, '127.0.0.1');
    let out = '';
    const done = () => {
      clearTimeout(t);
      c.destroy();
      resolve(out);
    };
    const t = setTimeout(done, ms);
    c.on('data', (d) => {
      out += String(d);
      if (out.includes('}')) done();
    });
    c.on('error', done);
    c.write(head);
  });
}

describe('ExecutorServer refuses before reading a body', () => {
  // Otherwise a peer without the token makes the server buffer up to maxBodyBytes per connection
  // (200 connections with 1 MB bodies: +228 MB resident).
  it('a wrong token is answered at once, without waiting for (or buffering) the body', async () => {
    const s = await server();
    const out = await headOnly(s.port, 'POST /run HTTP/1.1\r\nHost: x\r\nXXL-JOB-ACCESS-TOKEN: nope\r\nContent-Length: 1000\r\n\r\n');
    expect(out).toContain('"The access token is wrong."');
    expect(out).toMatch(/^HTTP\/1\.1 200/);
  });

  it('a declared body larger than the bound gets its protocol answer at once, not a reset after the upload', async () => {
    const s = await server();
    const out = await headOnly(s.port, `POST /run HTTP/1.1\r\nHost: x\r\nXXL-JOB-ACCESS-TOKEN: secret\r\nContent-Length: ${100 * 1024 * 1024}\r\n\r\n`);
    expect(out).toContain('body larger than 1024 bytes');
  });

  it('a non-POST is answered without its body', async () => {
    const s = await server();
    const out = await headOnly(s.port, 'PUT /run HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n');
    expect(out).toContain('HttpMethod not support');
  });

  it('a good request is still served, chunked too', async () => {
    const s = await server();
    const r = await fetch(`http://127.0.0.1:${s.port}/run`, { method: 'POST', headers: { 'XXL-JOB-ACCESS-TOKEN': 'secret' }, body: JSON.stringify({ jobId: 1, logId: 2 }) });
    expect(await r.json()).toEqual({ code: 200, msg: null });
  });

  // Upstream: server/EmbedServer.java (a configured token must equal the header). An empty or
  // blank header, or the token twice, is no token; surrounding blanks are dropped by HTTP itself.
  it('an empty, blank or doubled token header is refused; the token with blanks around it is the token', async () => {
    const s = await server();
    const beat = (token: string) => headOnly(s.port, `POST /beat HTTP/1.1\r\nHost: x\r\nXXL-JOB-ACCESS-TOKEN: ${token}\r\nContent-Length: 2\r\n\r\n{}`);
    for (const bad of ['', '   ', '\t', 'secret\r\nXXL-JOB-ACCESS-TOKEN: secret', 'secre', 'secret2']) {
      expect(await beat(bad)).toContain('"The access token is wrong."');
    }
    expect(await beat('  secret  ')).toContain('"code":200');
  });
});
