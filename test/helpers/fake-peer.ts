import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { homePaths } from '../../src/shared/paths.js';
import { makeHome } from './daemon.js';

const servers: net.Server[] = [];

/**
 * A socket in a fresh home that answers in place of a daemon: each request line is handed to
 * `onRequest`, which writes what the peer says (a broken daemon, an older one, not one at all).
 */
export async function fakePeer(onRequest: (socket: net.Socket, req: { id: number; method: string }) => void): Promise<string> {
  const home = makeHome({ 'tasks/app.yaml': 'tasks: {}\n' });
  const sock = homePaths(home).socket;
  fs.mkdirSync(path.dirname(sock), { recursive: true, mode: 0o700 });
  const server = net.createServer((socket) => {
    let buf = '';
    socket.on('error', () => undefined);
    socket.on('data', (d: Buffer) => {
      buf += d.toString();
      for (let nl = buf.indexOf('\n'); nl !== -1; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        onRequest(socket, JSON.parse(line) as { id: number; method: string });
      }
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(sock, r));
  return home;
}

/** Close every fake peer's socket (call from afterEach). */
export async function closeFakePeers(): Promise<void> {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
}
