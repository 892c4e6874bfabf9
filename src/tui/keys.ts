import type { Key } from 'ink';

/**
 * Every key of the TUI, in one place: the help lists `key` and `action`, the footer
 * `short` and `word` (short enough for 80 columns). `log` keys work in the log view (`l`).
 */
export const KEYS: ReadonlyArray<{ key: string; action: string; short: string; word: string; log?: true }> = [
  { key: '↑ ↓ / j k', action: 'move (in the log: scroll a line)', short: '↑↓', word: 'move' },
  { key: 'enter', action: 'open/close the detail pane', short: '⏎', word: 'open' },
  { key: 's', action: 'start', short: 's', word: 'start' },
  { key: 'x', action: 'stop (asks first)', short: 'x', word: 'stop' },
  { key: 'r', action: 'restart', short: 'r', word: 'restart' },
  { key: 'R', action: 'rolling restart: one instance at a time', short: 'R', word: 'roll' },
  { key: 't', action: 'trigger a run now', short: 't', word: 'run' },
  { key: 'K', action: 'kill: SIGKILL the processes (asks first)', short: 'K', word: 'kill' },
  { key: 'l', action: 'logs full screen (Esc or l closes)', short: 'l', word: 'logs' },
  { key: '[ ]', action: 'earlier / later run (cron, from the newest), previous / next instance', short: '[]', word: 'run/inst' },
  { key: 'PgUp PgDn', action: 'scroll the log back / forward (PgDn to the end follows again)', short: 'PgUp', word: 'scroll' },
  { key: 'w', action: 'wrap long log lines, or cut them and scroll sideways with ← →', short: 'w', word: 'wrap' },
  { key: '/', action: 'filter tasks by name, group or host; in the log view: search', short: '/', word: 'filter' },
  { key: 'n N', action: 'log view: the previous (older) / next (newer) match', short: 'nN', word: 'match', log: true },
  { key: 'h', action: 'fleet view: show one host, the next, then all', short: 'h', word: 'host' },
  { key: '?', action: 'help', short: '?', word: 'help' },
  { key: 'q / Ctrl-C', action: 'quit, from anywhere (Esc closes a pane, the help or the log)', short: 'q', word: 'quit' },
];

export const FOOTER: ReadonlyArray<[string, string]> = KEYS.map((k) => [k.short, k.word]);

const NO_KEY = {
  upArrow: false, downArrow: false, leftArrow: false, rightArrow: false, pageDown: false, pageUp: false,
  home: false, end: false, return: false, escape: false, ctrl: false, shift: false, tab: false,
  backspace: false, delete: false, meta: false, super: false, hyper: false, capsLock: false, numLock: false,
} as Key;

/** The keys a chunk may hold besides text, as Ink reads each alone. */
const CONTROL: Readonly<Record<string, Partial<Key>>> = { '\r': { return: true }, '\t': { tab: true }, '\b': { backspace: true }, '\u007f': { delete: true } };

/**
 * Keys typed fast (over ssh, or sent by tmux) arrive as one chunk (`/error⏎`): hand them over
 * one at a time, Enter, Tab and Backspace included, reading `typing()` before each, so a key
 * that opens a prompt makes the next ones text and Enter ends it. While typing, a run of text
 * (a paste) goes as one. A chunk with other controls goes whole, as Ink read it.
 */
export function eachKey(input: string, key: Key, typing: () => boolean, fn: (input: string, key: Key) => void): void {
  const chars = [...input];
  if (chars.length < 2 || key.ctrl || key.meta || !chars.every((c) => c in CONTROL || c >= ' ')) return fn(input, key);
  let text = '';
  const flush = () => {
    if (text) fn(text, NO_KEY);
    text = '';
  };
  for (const c of chars) {
    const control = CONTROL[c];
    if (control) {
      flush();
      fn('', { ...NO_KEY, ...control });
    } else if (typing()) text += c;
    else {
      flush();
      fn(c, c >= 'A' && c <= 'Z' ? { ...NO_KEY, shift: true } : NO_KEY);
    }
  }
  flush();
}

/** The text of a one-line input (filter, search) after a key: undefined when the key is not text. */
export function edited(text: string, input: string, key: Key): string | undefined {
  if (key.backspace || key.delete) return text.slice(0, -1);
  if (input && !key.ctrl && !key.meta && !key.escape && !key.return && !key.upArrow && !key.downArrow && !key.leftArrow && !key.rightArrow) return text + input;
  return undefined;
}
