/**
 * Every key of the TUI, in one place: the help lists `key` and `action`, the footer
 * `short` and `word` (short enough for 80 columns).
 */
export const KEYS: ReadonlyArray<{ key: string; action: string; short: string; word: string }> = [
  { key: '↑ ↓ / j k', action: 'move', short: '↑↓', word: 'move' },
  { key: 'enter', action: 'open/close the detail pane', short: '⏎', word: 'open' },
  { key: 's', action: 'start', short: 's', word: 'start' },
  { key: 'x', action: 'stop (asks first)', short: 'x', word: 'stop' },
  { key: 'r', action: 'restart', short: 'r', word: 'restart' },
  { key: 't', action: 'trigger a run now', short: 't', word: 'run' },
  { key: 'K', action: 'kill: SIGKILL the processes (asks first)', short: 'K', word: 'kill' },
  { key: 'l', action: 'logs full screen', short: 'l', word: 'logs' },
  { key: '[ ]', action: 'previous / next instance or run in the log', short: '[]', word: 'inst' },
  { key: 'PgUp PgDn', action: 'scroll the log back / forward', short: 'PgUp', word: 'scroll' },
  { key: '/', action: 'filter tasks by name, group or host', short: '/', word: 'filter' },
  { key: 'h', action: 'fleet view: show one host, the next, then all', short: 'h', word: 'host' },
  { key: '?', action: 'help', short: '?', word: 'help' },
  { key: 'q / Ctrl-C', action: 'quit (Esc closes a pane)', short: 'q', word: 'quit' },
];

export const FOOTER: ReadonlyArray<[string, string]> = KEYS.map((k) => [k.short, k.word]);
