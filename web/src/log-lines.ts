/** Lines a live log keeps on the page, shown or held while paused: the newest. */
export const KEEP_LINES = 5000;
/** A line the task writes without a newline is cut here, so a partial line cannot grow without bound. */
export const MAX_LINE = 64 * 1024;

/** `lines` then `more`, the oldest dropped past `keep`. */
export function appendKept(lines: readonly string[], more: readonly string[], keep = KEEP_LINES): string[] {
  const next = lines.concat(more);
  return next.length > keep ? next.slice(-keep) : next;
}

/** A pushed chunk of text as whole lines, and the partial last line to carry to the next chunk. */
export function splitChunk(carry: string, text: string, maxLine = MAX_LINE): { lines: string[]; carry: string } {
  const lines = (carry + text).split('\n');
  let rest = lines.pop() ?? '';
  while (rest.length > maxLine) {
    lines.push(rest.slice(0, maxLine));
    rest = rest.slice(maxLine);
  }
  return { lines, carry: rest };
}
