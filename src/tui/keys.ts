import type { Key } from 'ink';

/** The views that own keys: the task list (with its detail pane), the full-screen log, the help, the filter bar, a confirm. */
export type KeyScope = 'list' | 'log' | 'help' | 'filter' | 'confirm';

/** What a key press must be: one of `input` (the text Ink reads), or one of `key` (Ink's flags). */
export interface KeyMatch {
  input?: readonly string[];
  key?: ReadonlyArray<'upArrow' | 'downArrow' | 'leftArrow' | 'rightArrow' | 'pageUp' | 'pageDown' | 'end' | 'return' | 'escape'>;
}

/** One key in one view and the name of the action it runs there. */
export interface KeyBinding extends KeyMatch {
  scope: KeyScope;
  action: string;
}

/** One line of the help (`key`, `action`) and one item of the footer (`short`, `word`), with what it does where. */
export interface KeyDoc {
  key: string;
  action: string;
  short: string;
  word: string;
  bindings: readonly KeyBinding[];
}

const on = (scope: KeyScope, action: string, match: KeyMatch): KeyBinding => ({ scope, action, ...match });

/**
 * Every key of the TUI, in one place: the help lists `key` and `action`, the footer `short` and
 * `word` (short enough for 80 columns), and each view dispatches a key press to the action its
 * binding names (`dispatch`). A key in no binding does nothing; a binding is always in the help.
 */
export const KEYS: readonly KeyDoc[] = [
  { key: '↑ ↓ / j k', action: 'move (in the log: scroll a line)', short: '↑↓', word: 'move', bindings: [
    on('list', 'up', { key: ['upArrow'], input: ['k'] }), on('list', 'down', { key: ['downArrow'], input: ['j'] }),
    on('log', 'lineBack', { key: ['upArrow'], input: ['k'] }), on('log', 'lineForward', { key: ['downArrow'], input: ['j'] }),
  ] },
  { key: 'enter', action: 'open/close the detail pane', short: '⏎', word: 'open', bindings: [on('list', 'toggleDetail', { key: ['return'] })] },
  { key: 's', action: 'start', short: 's', word: 'start', bindings: [on('list', 'start', { input: ['s'] })] },
  // The question (Confirm) says `y` confirms; any other key cancels.
  { key: 'x', action: 'stop (asks first)', short: 'x', word: 'stop', bindings: [on('list', 'stop', { input: ['x'] }), on('confirm', 'yes', { input: ['y', 'Y'] })] },
  { key: 'r', action: 'restart', short: 'r', word: 'restart', bindings: [on('list', 'restart', { input: ['r'] })] },
  { key: 'R', action: 'rolling restart: one instance at a time', short: 'R', word: 'roll', bindings: [on('list', 'roll', { input: ['R'] })] },
  { key: 't', action: 'trigger a run now', short: 't', word: 'run', bindings: [on('list', 'trigger', { input: ['t'] })] },
  { key: 'K', action: 'kill: SIGKILL the processes (asks first)', short: 'K', word: 'kill', bindings: [on('list', 'kill', { input: ['K'] })] },
  { key: 'l', action: 'logs full screen (Esc or l closes)', short: 'l', word: 'logs', bindings: [on('list', 'openLogs', { input: ['l'] }), on('log', 'close', { input: ['l'] })] },
  { key: '[ ]', action: 'earlier / later run (cron, from the newest), previous / next instance', short: '[]', word: 'run/inst', bindings: [
    on('list', 'earlier', { input: ['['] }), on('list', 'later', { input: [']'] }), on('log', 'earlier', { input: ['['] }), on('log', 'later', { input: [']'] }),
  ] },
  { key: 'PgUp PgDn', action: 'scroll the log back / forward (PgDn to the end follows again; in the log view G/End too)', short: 'PgUp', word: 'scroll', bindings: [
    on('list', 'pageBack', { key: ['pageUp'] }), on('list', 'pageForward', { key: ['pageDown'] }),
    on('log', 'pageBack', { key: ['pageUp'] }), on('log', 'pageForward', { key: ['pageDown'] }), on('log', 'follow', { input: ['G'], key: ['end'] }),
  ] },
  { key: 'w', action: 'wrap long log lines, or cut them and scroll sideways with ← →', short: 'w', word: 'wrap', bindings: [
    on('list', 'wrap', { input: ['w'] }), on('list', 'left', { key: ['leftArrow'] }), on('list', 'right', { key: ['rightArrow'] }),
    on('log', 'wrap', { input: ['w'] }), on('log', 'left', { key: ['leftArrow'] }), on('log', 'right', { key: ['rightArrow'] }),
  ] },
  { key: '/', action: 'filter tasks by name, group or host (Enter keeps it, Esc clears it); in the log view: search', short: '/', word: 'filter', bindings: [
    on('list', 'filter', { input: ['/'] }), on('filter', 'keep', { key: ['return'] }), on('filter', 'clear', { key: ['escape'] }), on('log', 'search', { input: ['/'] }),
  ] },
  { key: 'n N', action: 'log view: the previous (older) / next (newer) match', short: 'nN', word: 'match', bindings: [on('log', 'olderMatch', { input: ['n'] }), on('log', 'newerMatch', { input: ['N'] })] },
  { key: 'h', action: 'fleet view: show one host, the next, then all', short: 'h', word: 'host', bindings: [on('list', 'nextHost', { input: ['h'] })] },
  { key: '?', action: 'help', short: '?', word: 'help', bindings: [on('list', 'help', { input: ['?'] }), on('help', 'close', { input: ['?'] })] },
  { key: 'q / Ctrl-C', action: 'quit, from anywhere (Esc closes a pane, the help or the log)', short: 'q', word: 'quit', bindings: [
    on('list', 'quit', { input: ['q'] }), on('log', 'quit', { input: ['q'] }), on('help', 'quit', { input: ['q'] }),
    on('list', 'back', { key: ['escape'] }), on('log', 'close', { key: ['escape'] }), on('help', 'close', { key: ['escape'] }),
  ] },
];

/** Every binding of every key, the table `dispatch` reads. */
export const KEYMAP: readonly KeyBinding[] = KEYS.flatMap((k) => k.bindings);

/**
 * The binding a key press has in a view, if any. Ctrl or Alt with a key makes another key, bound
 * nowhere (Ctrl-R is not `r`, nor Ctrl-L `l`, nor Alt-x `x`): Ink reads Ctrl-R as input `r` with
 * `ctrl`, Alt-x as `x` with `meta`. Esc alone is `meta` too in Ink, and stays Esc.
 */
export function bindingFor(scope: KeyScope, input: string, key: Key): KeyBinding | undefined {
  if (key.ctrl || (key.meta && !key.escape)) return undefined;
  return KEYMAP.find((b) => b.scope === scope && ((b.input?.includes(input) ?? false) || (b.key?.some((f) => key[f]) ?? false)));
}

/** A view's handlers, by the names of the actions its bindings run. */
export type KeyHandlers = Readonly<Record<string, () => void>>;

/**
 * Runs the action a key press is bound to in `scope` from the view's handler table; false when the
 * key has no binding there. `onAction` hears each action run (the TUI's key test listens to it).
 */
export function dispatch(scope: KeyScope, input: string, key: Key, handlers: KeyHandlers, onAction?: (scope: KeyScope, action: string) => void): boolean {
  const binding = bindingFor(scope, input, key);
  const run = binding && handlers[binding.action];
  if (!binding || !run) return false;
  run();
  onAction?.(scope, binding.action);
  return true;
}

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
