import { colorLevel } from '../shared/color.js';
import { JobctlError, type ErrorCode } from '../shared/errors.js';

/**
 * Exit codes of every command (docs/commands.md). UNREACHABLE: no daemon, or it went
 * away; DROPPED: the daemon let this client go for not reading (`logs -f`).
 */
export const EXIT = { OK: 0, FAILURE: 1, USAGE: 2, UNREACHABLE: 3, DROPPED: 4 } as const;

/** Where a command writes; injectable for tests. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  color: boolean;
  /** Terminal width for tables, when stdout is a TTY. */
  columns?: number;
}

export function processIo(): Io {
  const tty = Boolean(process.stdout.isTTY);
  return {
    out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
    err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
    color: colorLevel(process.env, tty) > 0,
    ...(tty ? { columns: process.stdout.columns } : {}),
  };
}

const CODES = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, gray: 90, bold: 1, dim: 2 } as const;
export type Style = keyof typeof CODES;

/** A painter that does nothing when color is off. */
export function painter(color: boolean): (style: Style, text: string) => string {
  return (style, text) => (color ? `\u001b[${CODES[style]}m${text}\u001b[0m` : text);
}

/** A failure the CLI prints as one line, with its exit code. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode: number = EXIT.FAILURE) {
    super(message);
  }
}

export function exitCodeFor(code: ErrorCode): number {
  if (code === 'DAEMON_UNREACHABLE') return EXIT.UNREACHABLE;
  if (code === 'BAD_REQUEST') return EXIT.USAGE;
  return EXIT.FAILURE;
}

/** Print an error as one line to stderr and return the exit code. */
export function reportError(io: Io, e: unknown): number {
  if (e instanceof CliError) {
    io.err(`jobctl: ${e.message}`);
    return e.exitCode;
  }
  if (e instanceof JobctlError) {
    io.err(`jobctl: ${e.message}`);
    return exitCodeFor(e.code);
  }
  io.err(`jobctl: unexpected error: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
  return EXIT.FAILURE;
}

/** Pretty JSON, one document, newline-terminated. */
export function printJson(io: Io, value: unknown): void {
  io.out(`${JSON.stringify(value, null, 2)}\n`);
}

/** Left-aligned columns; the last column is not padded. */
export function table(rows: string[][], widthOf: (s: string) => number = visibleWidth): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, widthOf(cell))));
  return rows
    .map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - widthOf(cell)))).join('  ').trimEnd())
    .join('\n');
}

const ANSI_RE = /\u001b\[[0-9;]*m/g;
export function visibleWidth(s: string): number {
  return s.replace(ANSI_RE, '').length;
}
