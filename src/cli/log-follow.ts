import type { JobctlClient } from '../api/client.js';
import type { PushMessage } from '../shared/protocol.js';
import { EXIT, type Io } from './output.js';

export interface FollowOptions {
  /** Where log text goes. @default process.stdout */
  out?: NodeJS.WritableStream;
  /** At most one "skipped" note per this long on stderr. @default 2000 */
  skipNoteEveryMs?: number;
  /**
   * Rewrite pushed text before it is written (e.g. prefix every line with its task, or tag it
   * with its instance). Without it the text is written as it came. @default none
   */
  format?: (text: string, push: { subscription: number; instance?: number | undefined }) => string;
  /** Called when one of several followed subscriptions ends (the others go on). @default none */
  onEnd?: (subscription: number, reason: string) => void;
}

/**
 * `logs -f`: print one subscription's output (or several: `logs -f` of every task) until it
 * ends, with backpressure both ways. When `out` is full the socket is paused, so the daemon
 * (not this process) leaves output out and says how much; those notes go to stderr, at most
 * one per skipNoteEveryMs. Exit codes: OK when the log ends (all of them), the reader
 * closes `out` (`| head -c 100`: EPIPE ends quietly) or on Ctrl-C (quietly: the daemon is
 * not to blame); DROPPED when the daemon let this client go (the reason is printed);
 * UNREACHABLE when the daemon went away.
 */
export function followLog(client: JobctlClient, subscriptions: number | number[], io: Io, opts: FollowOptions = {}): Promise<number> {
  const out = opts.out ?? process.stdout;
  const noteEvery = opts.skipNoteEveryMs ?? 2000;
  const live = new Set(Array.isArray(subscriptions) ? subscriptions : [subscriptions]);
  const single = !Array.isArray(subscriptions);
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
        case 'log': {
          if (!live.has(m.data.subscription)) return;
          const text = opts.format ? opts.format(m.data.text, m.data) : m.data.text;
          if (text && !out.write(text)) {
            client.pause();
            out.once('drain', () => client.resume());
          }
          return;
        }
        case 'log-skipped':
          if (!live.has(m.data.subscription)) return;
          skippedBytes += m.data.bytes;
          if (Date.now() - notedAt >= noteEvery) noteSkipped();
          return;
        case 'log-end':
          if (!live.has(m.data.subscription)) return;
          live.delete(m.data.subscription);
          if (single || live.size === 0) finish(EXIT.OK, `jobctl: ${m.data.reason}`);
          else opts.onEnd?.(m.data.subscription, m.data.reason);
          return;
        case 'dropped':
          finish(EXIT.DROPPED, `jobctl: the daemon stopped sending: ${m.data.reason}`);
          return;
        default:
      }
    });
    // The daemon went away, or the ssh link to it dropped: its reason, in one line.
    client.on('close', () => finish(EXIT.UNREACHABLE, `jobctl: ${client.closeReason}`));
  });
}
