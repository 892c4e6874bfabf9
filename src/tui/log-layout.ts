import { eastAsianWidth } from 'get-east-asian-width';

/**
 * How log lines become screen rows: pure, so the TUI's log view (detail pane and full
 * screen) is tested without a terminal.
 */

export interface LogRow {
  /** The text shown, already cut to the width. */
  text: string;
  /** Index of the log line this row belongs to. */
  line: number;
}

export interface LogLayout {
  /** Rows of text the view has. */
  body: number;
  width: number;
  /** Lines scrolled back from the end (0 follows). */
  scroll: number;
  /** Long lines go on over several rows; otherwise they are cut, starting at `hOffset`. */
  wrap: boolean;
  hOffset: number;
}

/**
 * Escape sequences whole: CSI (`ESC [ … m`, cursor moves, modes), OSC (`ESC ] 0;title BEL`,
 * hyperlinks) and the string controls (DCS, SOS, PM, APC) up to their terminator, their 8-bit
 * C1 forms, and two-byte escapes (`ESC c`, `ESC 7`). Dropping only the ESC byte left
 * `[31mred[0m` and `]0;title` on screen.
 */
const ESCAPES = /(?:\x1b\[|\u009b)[0-?]*[ -/]*[@-~]?|(?:\x1b[\]PX^_]|[\u0090\u0098\u009d-\u009f])[^\x07\x1b\u009c]*(?:\x07|\x1b\\|\u009c)?|\x1b[ -/]*[0-~]?/g;

/**
 * The text of a task's log line as the TUI shows it: tabs as two spaces, escape sequences and
 * every other C0/C1 control dropped, so a task's output cannot move the cursor, retitle or
 * clear the terminal, and one line stays one line.
 */
export function cleanLine(line: string): string {
  return line.replace(/\t/g, '  ').replace(ESCAPES, '').replace(/[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g, '');
}

const PLAIN = /^[\x20-\x7e]*$/;
/** Marks and joiners that take no column of their own (they go with the character before). */
const ZERO_WIDTH = /^[\p{Mn}\p{Me}\u200b-\u200f\u2060-\u2064\ufe00-\ufe0f]$/u;

/** The columns a character takes on a terminal: 2 for a wide (CJK, fullwidth) one, 0 for a mark. */
function charWidth(c: string): number {
  const cp = c.codePointAt(0)!;
  if (cp < 0x300) return 1;
  return eastAsianWidth(cp) === 2 ? 2 : ZERO_WIDTH.test(c) ? 0 : 1;
}

/** Each character's columns, by its index in `line` (code points: fast on a long line). */
function* widths(line: string): Generator<[index: number, end: number, width: number]> {
  for (let i = 0; i < line.length;) {
    const cp = line.codePointAt(i)!;
    const end = i + (cp > 0xffff ? 2 : 1);
    yield [i, end, cp < 0x300 ? 1 : charWidth(line.slice(i, end))];
    i = end;
  }
}

/** A line's pieces of at most `width` columns (at least one, possibly empty). */
export function wrapLine(line: string, width: number): string[] {
  if (width <= 0) return [line];
  const out: string[] = [];
  if (PLAIN.test(line)) {
    for (let i = 0; i < line.length; i += width) out.push(line.slice(i, i + width));
    return out.length ? out : [line];
  }
  let start = 0;
  let used = 0;
  for (const [i, , w] of widths(line)) {
    if (used + w > width && i > start) {
      out.push(line.slice(start, i));
      start = i;
      used = 0;
    }
    used += w;
  }
  out.push(line.slice(start));
  return out;
}

/** The part of a line from column `from`, at most `width` columns (a wide character cut in two is left out). */
export function sliceColumns(line: string, from: number, width: number): string {
  if (PLAIN.test(line)) return line.slice(from, from + width);
  let col = 0;
  let start = -1;
  let stop = line.length;
  for (const [i, end, w] of widths(line)) {
    if (start === -1 && col >= from) start = i;
    if (col + w > from + width) {
      stop = i;
      break;
    }
    col += w;
    if (col >= from + width) {
      stop = end;
      break;
    }
  }
  return start === -1 ? '' : line.slice(start, stop);
}

/**
 * The rows to show: the lines that end `scroll` lines before the last one, bottom-aligned,
 * wrapped or cut sideways. Only the lines that can show are looked at.
 */
export function logRows(lines: readonly string[], l: LogLayout): LogRow[] {
  const end = Math.max(0, lines.length - l.scroll);
  const rows: LogRow[] = [];
  for (let i = end - 1; i >= 0 && rows.length < l.body; i--) {
    const text = cleanLine(lines[i]!);
    const pieces = l.wrap ? wrapLine(text, l.width) : [sliceColumns(text, l.hOffset, l.width)];
    for (let p = pieces.length - 1; p >= 0 && rows.length < l.body; p--) rows.push({ text: pieces[p]!, line: i });
  }
  return rows.reverse();
}

/** Where `pattern` (any case) is in `text`: [start, end) pairs. */
export function matchRanges(text: string, pattern: string): Array<[number, number]> {
  if (!pattern) return [];
  const hay = text.toLowerCase();
  const needle = pattern.toLowerCase();
  const out: Array<[number, number]> = [];
  for (let at = hay.indexOf(needle); at !== -1; at = hay.indexOf(needle, at + needle.length)) out.push([at, at + needle.length]);
  return out;
}

/**
 * The line of the next match of `pattern` from line `from`: going back (older, `dir` -1) or
 * forward (newer, +1), `from` itself included when `inclusive`. Undefined when none.
 */
export function findLine(lines: readonly string[], pattern: string, from: number, dir: 1 | -1, inclusive = false): number | undefined {
  if (!pattern) return undefined;
  const needle = pattern.toLowerCase();
  for (let i = inclusive ? from : from + dir; i >= 0 && i < lines.length; i += dir) {
    if (cleanLine(lines[i]!).toLowerCase().includes(needle)) return i;
  }
  return undefined;
}
