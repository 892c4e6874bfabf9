import { render } from 'ink';
import { ClientBackend, type Dialer, type TuiBackend } from './backend.js';
import { App } from './components/App.js';

const ALT_ON = '\u001b[?1049h';
const ALT_OFF = '\u001b[?1049l';
const SHOW_CURSOR = '\u001b[?25h';

export interface TuiOptions {
  /** How to reach the daemon (local socket or ssh); used when no backend is given. */
  dial: Dialer;
  stdin?: NodeJS.ReadStream;
  stdout?: NodeJS.WriteStream;
  backend?: TuiBackend;
  /** Where the daemon is, for the title (`ssh://deploy@web1:2222`); undefined: this host. */
  where?: string;
}

/**
 * `jobctl tui`: full screen on the alternate buffer; the terminal is restored on quit,
 * on Ctrl-C and on a crash.
 */
export async function runTui(opts: TuiOptions): Promise<number> {
  const stdout = opts.stdout ?? process.stdout;
  const backend = opts.backend ?? new ClientBackend(opts.dial, 1000, opts.where);
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    stdout.write(ALT_OFF + SHOW_CURSOR);
  };
  stdout.write(ALT_ON);
  const onCrash = (e: unknown) => {
    restore();
    process.stderr.write(`jobctl tui crashed: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  };
  process.once('uncaughtException', onCrash);
  process.once('exit', restore);
  backend.start();
  const app = render(<App backend={backend} />, { stdout, ...(opts.stdin ? { stdin: opts.stdin } : {}), exitOnCtrlC: true });
  try {
    await app.waitUntilExit();
  } finally {
    backend.close();
    restore();
    process.off('uncaughtException', onCrash);
  }
  return 0;
}
