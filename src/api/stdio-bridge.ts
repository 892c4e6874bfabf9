import net from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { JobctlError } from '../shared/errors.js';
import { unreachable } from './client.js';

/** The operator a bridge names (`--as NAME`) and where it connects from (SSH_CONNECTION). */
export interface BridgeIdentity {
  operator: string;
  from?: string;
}

/** The id of the bridge's own `identify` request: its reply is read by the bridge, never forwarded. */
const IDENTIFY_ID = 'dial-stdio:identify';

/**
 * `jobctl dial-stdio`: bytes from `input` go to the daemon's socket and the socket's bytes
 * go to `output`, untouched, until either side closes (as `docker system dial-stdio`).
 * With `as` (an SSH forced command's `--as NAME`), the bridge first names the operator to
 * the daemon, which then holds that connection to the operator's rights; only then does it
 * forward the client's bytes, so the client never speaks on the owner's connection. The
 * daemon's answer is not forwarded; an unknown operator is refused at the client's first call.
 * Rejects with DAEMON_UNREACHABLE (one line saying what to do) when there is no daemon.
 */
export function bridgeStdio(socketPath: string, input: Readable, output: Writable, as?: BridgeIdentity): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(socketPath);
    socket.once('error', (e: NodeJS.ErrnoException) => reject(unreachable(socketPath, e)));
    const forward = (rest: Buffer) => {
      socket.on('error', () => undefined);
      output.on('error', () => socket.destroy());
      if (rest.length) output.write(rest);
      input.pipe(socket);
      socket.pipe(output);
      socket.once('close', () => {
        input.unpipe(socket);
        input.destroy();
        resolve();
      });
    };
    socket.once('connect', () => {
      if (!as) return forward(Buffer.alloc(0));
      socket.write(`${JSON.stringify({ id: IDENTIFY_ID, method: 'identify', params: { operator: as.operator, ...(as.from ? { from: as.from } : {}) } })}\n`);
      let got = Buffer.alloc(0);
      const onData = (chunk: Buffer) => {
        got = Buffer.concat([got, chunk]);
        const nl = got.indexOf(10);
        if (nl === -1) return;
        socket.off('data', onData);
        socket.off('close', onEarlyClose);
        socket.pause();
        const why = refusal(got.subarray(0, nl).toString('utf8'));
        if (why) {
          socket.destroy();
          reject(why);
          return;
        }
        forward(got.subarray(nl + 1));
        socket.resume();
      };
      const onEarlyClose = () => reject(new JobctlError('DAEMON_UNREACHABLE', 'the daemon closed the connection before it took the operator\'s name'));
      socket.on('data', onData);
      socket.once('close', onEarlyClose);
    });
  });
}

/**
 * Why the bridge must not forward after the daemon's answer to `identify`: anything but the
 * identity or a FORBIDDEN (the name is held, and refused at every call) means the daemon did
 * not take the name (an older daemon), and the client would speak with the owner's rights.
 */
function refusal(line: string): JobctlError | undefined {
  try {
    const reply = JSON.parse(line) as { id?: unknown; result?: unknown; error?: { code?: unknown; message?: unknown } };
    if (reply.id === IDENTIFY_ID && reply.result !== undefined) return undefined;
    if (reply.id === IDENTIFY_ID && reply.error?.code === 'FORBIDDEN') return undefined;
    const said = typeof reply.error?.message === 'string' ? `: ${reply.error.message}` : '';
    return new JobctlError('FORBIDDEN', `this daemon did not take the operator's name${said}; upgrade jobctl on this host (dial-stdio --as needs a daemon with access: support)`);
  } catch {
    return new JobctlError('FORBIDDEN', 'this daemon did not answer the operator\'s name with JSON; upgrade jobctl on this host');
  }
}
