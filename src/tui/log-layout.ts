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

/** Tabs as two spaces, control characters (colors, cursor moves) dropped: one line stays one line. */
export function cleanLine(line: string): string {
  return line.replace(/\t/g, '  ').replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '');
}

/** A line's pieces of `width` characters (at least one, possibly empty). */
export function wrapLine(line: string, width: number): string[] {
  const chars = [...line];
  if (chars.length <= width || width <= 0) return [line];
  const out: string[] = [];
  for (let i = 0; i < chars.length; i += width) out.push(chars.slice(i, i + width).join(''));
  return out;
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
    const pieces = l.wrap ? wrapLine(text, l.width) : [[...text].slice(l.hOffset, l.hOffset + l.width).join('')];
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
    if (lines[i]!.toLowerCase().includes(needle)) return i;
  }
  return undefined;
}
