import type { JobctlClient } from '../api/client.js';
import type { PushMessage } from '../shared/protocol.js';
import { EXIT, type Io } from './output.js';

export interface FollowOptions {
  /** Where log text goes. @default process.stdout */
  out?: NodeJS.WritableStream;
  /** At most one "skipped" note per this long on stderr. @default 2000 */
  skipNoteEveryMs?: number;
}

/**
 * `logs -f`: print a subscription's output until it ends, with backpressure both ways.
 * When `out` is full the socket is paused, so the daemon (not this process) leaves output
 * out and says how much; those notes go to stderr, at most one per skipNoteEveryMs.
 * Exit codes: OK when the log ends, the reader closes `out` (`| head -c 100`: EPIPE ends
 * quietly) or on Ctrl-C; DROPPED when the daemon let this client go (the reason is printed);
 * UNREACHABLE when the daemon went away.
 */
export function followLog(client: JobctlClient, subscription: number, io: Io, opts: FollowOptions = {}): Promise<number> {
  const out = opts.out ?? process.stdout;
  const noteEvery = opts.skipNoteEveryMs ?? 2000;
  let skippedBytes = 0;
  let notedAt = 0;
  return new Promise<number>((resolve) => {
    let done = false;
    const finish = (code: number, message?: string) => {
      if (done) return;
      done = true;
      if (skippedBytes) noteSkipped();
      if (message) io.err(message);
      process.off('SIGINT', onSigint);
      resolve(code);
    };
    const noteSkipped = () => {
      io.err(`jobctl: ${skippedBytes} bytes of output skipped: the task writes faster than this reader reads`);
      skippedBytes = 0;
      notedAt = Date.now();
    };
    const onSigint = () => finish(EXIT.OK);
    process.once('SIGINT', onSigint);
    out.on('error', (e: NodeJS.ErrnoException) => {
      // The reader went away (`| head -c 100`): that is the end, not an error.
      if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') finish(EXIT.OK);
      else finish(EXIT.FAILURE, `jobctl: cannot write the log: ${e.message}`);
    });
    client.on('push', (m: PushMessage) => {
      if (done) return;
      switch (m.event) {
        case 'log':
          if (m.data.subscription !== subscription) return;
          if (!out.write(m.data.text)) {
            client.pause();
            out.once('drain', () => client.resume());
          }
          return;
        case 'log-skipped':
          if (m.data.subscription !== subscription) return;
          skippedBytes += m.data.bytes;
          if (Date.now() - notedAt >= noteEvery) noteSkipped();
          return;
        case 'log-end':
          if (m.data.subscription === subscription) finish(EXIT.OK, `jobctl: ${m.data.reason}`);
          return;
        case 'dropped':
          finish(EXIT.DROPPED, `jobctl: the daemon stopped sending: ${m.data.reason}`);
          return;
        default:
      }
    });
    client.on('close', () => finish(EXIT.UNREACHABLE, 'jobctl: the daemon went away'));
  });
}
