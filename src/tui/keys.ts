/** Every key of the TUI, in one place: the footer and the help both list these. */
export const KEYS: ReadonlyArray<{ key: string; short: string; action: string }> = [
  { key: '↑ ↓ / j k', short: '↑↓', action: 'move' },
  { key: 'enter', short: '⏎', action: 'open/close the detail pane' },
  { key: 's', short: 's', action: 'start' },
  { key: 'x', short: 'x', action: 'stop (asks first)' },
  { key: 'r', short: 'r', action: 'restart' },
  { key: 't', short: 't', action: 'trigger a run now' },
  { key: 'K', short: 'K', action: 'kill: SIGKILL the processes (asks first)' },
  { key: 'l', short: 'l', action: 'logs full screen' },
  { key: '[ ]', short: '[]', action: 'previous / next instance or run in the log' },
  { key: 'PgUp PgDn', short: 'PgUp', action: 'scroll the log back / forward' },
  { key: '/', short: '/', action: 'filter tasks by name or group' },
  { key: '?', short: '?', action: 'help' },
  { key: 'q / Ctrl-C', short: 'q', action: 'quit (Esc closes a pane)' },
];

/** The footer words for each key, kept short to fit 80 columns. */
export const FOOTER: ReadonlyArray<[string, string]> = [
  ['↑↓', 'move'], ['⏎', 'open'], ['s', 'start'], ['x', 'stop'], ['r', 'restart'], ['t', 'run'], ['K', 'kill'],
  ['l', 'logs'], ['[]', 'inst'], ['PgUp', 'scroll'], ['/', 'filter'], ['?', 'help'], ['q', 'quit'],
];
