import { execFileSync } from 'node:child_process';

export interface PrivateTmux {
  (...args: string[]): string;
  /** What a session shows now. */
  screen(session: string): string;
  /** Start a session running `command` in a terminal of this size. */
  open(session: string, columns: number, rows: number, command: string, env?: Record<string, string>): void;
  /** Kill the server and every session. Safe to call twice. */
  close(): void;
}

/** A tmux server of its own (-L), so the user's sessions are never touched. */
export function privateTmux(name: string): PrivateTmux {
  const socket = `jobctl-${name}-${process.pid}`;
  const tmux = ((...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' })) as PrivateTmux;
  tmux.screen = (s) => tmux('capture-pane', '-p', '-t', s);
  tmux.open = (s, columns, rows, command, env = {}) => {
    const vars = Object.entries(env).map(([k, v]) => `${k}='${v.replace(/'/g, `'\\''`)}'`).join(' ');
    tmux('new-session', '-d', '-s', s, '-x', String(columns), '-y', String(rows), `${vars} ${command}`.trim());
  };
  tmux.close = () => {
    try {
      tmux('kill-server');
    } catch {
      /* not running */
    }
  };
  return tmux;
}
