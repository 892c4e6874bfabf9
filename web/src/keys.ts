/** Every key of the page, in one place: the help lists them (the TUI's keys where it has one). */
export const KEYS: ReadonlyArray<{ key: string; action: string }> = [
  { key: '/', action: 'filter tasks by name, group or host' },
  { key: 'j k / ↓ ↑', action: 'move in the task list' },
  { key: 'enter', action: 'open the selected task' },
  { key: 'esc', action: 'close a dialog; back to the overview' },
  { key: 's', action: 'start' },
  { key: 'x', action: 'stop (asks first)' },
  { key: 'r', action: 'restart' },
  { key: 'R', action: 'rolling restart: one instance at a time' },
  { key: 't', action: 'trigger a run now' },
  { key: 'K', action: 'kill: SIGKILL the processes (asks first)' },
  { key: 'l', action: 'task page: follow the live log' },
  { key: 'space', action: 'task page: pause / resume the live log' },
  { key: 'e', action: 'show / hide the events pane' },
  { key: '?', action: 'this help' },
];

/** Whether a key press belongs to a text field (then the page's keys stay out of its way). */
export function typing(e: KeyboardEvent): boolean {
  const t = e.target as HTMLElement | null;
  return !!t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable);
}
