import { SIGNALS, type SignalName } from './types.js';

/** `TERM`, `sigterm`, `SIGTERM` -> `SIGTERM`; undefined for anything else. */
export function normalizeSignal(value: string): SignalName | undefined {
  const upper = value.trim().toUpperCase();
  const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
  return (SIGNALS as readonly string[]).includes(name) ? (name as SignalName) : undefined;
}
