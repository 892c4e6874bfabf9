import { SIGNALS, type SignalName } from './types.js';

/** Linux signal numbers of the signals jobctl sends (`kill -9`). */
const NUMBERS: Record<number, SignalName> = {
  1: 'SIGHUP', 2: 'SIGINT', 3: 'SIGQUIT', 9: 'SIGKILL', 10: 'SIGUSR1', 12: 'SIGUSR2', 15: 'SIGTERM', 18: 'SIGCONT', 19: 'SIGSTOP', 28: 'SIGWINCH',
};

/** `TERM`, `sigterm`, `SIGTERM`, `15`, `-15`, `-TERM` -> `SIGTERM`; undefined for anything else. */
export function normalizeSignal(value: string | number): SignalName | undefined {
  const text = String(value).trim().replace(/^-/, '');
  if (/^\d+$/.test(text)) return NUMBERS[Number(text)];
  const upper = text.toUpperCase();
  const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
  return (SIGNALS as readonly string[]).includes(name) ? (name as SignalName) : undefined;
}
