import net from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { unreachable } from './client.js';

/**
 * `jobctl dial-stdio`: bytes from `input` go to the daemon's socket and the socket's bytes
 * go to `output`, untouched, until either side closes (as `docker system dial-stdio`).
 * Rejects with DAEMON_UNREACHABLE (one line saying what to do) when there is no daemon.
 */
export function bridgeStdio(socketPath: string, input: Readable, output: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(socketPath);
    socket.once('error', (e: NodeJS.ErrnoException) => reject(unreachable(socketPath, e)));
    socket.once('connect', () => {
      socket.on('error', () => undefined);
      output.on('error', () => socket.destroy());
      input.pipe(socket);
      socket.pipe(output);
      socket.once('close', () => {
        input.unpipe(socket);
        input.destroy();
        resolve();
      });
    });
  });
}
