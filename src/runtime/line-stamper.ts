/**
 * Turns a byte stream into whole lines prefixed with a timestamp and a stream tag:
 * `2026-11-21T08:12:00.123Z [out] text`. A partial line waits for its end (or for
 * `MAX_PARTIAL` bytes, or for flush()), so lines from stdout and stderr never interleave
 * mid-line in the shared file.
 */

const NL = 0x0a;
/** A line longer than this is cut and written as several lines. */
export const MAX_PARTIAL = 64 * 1024;

export type StreamTag = 'out' | 'err' | 'jobctl';

export function linePrefix(tag: StreamTag, now: number): Buffer {
  return Buffer.from(`${new Date(now).toISOString()} [${tag}] `);
}

export class LineStamper {
  private partial: Buffer | null = null;

  constructor(private readonly tag: StreamTag, private readonly now: () => number = Date.now) {}

  /** Formatted whole lines from this chunk (and any waiting partial), or null. */
  push(chunk: Buffer): Buffer | null {
    const last = chunk.lastIndexOf(NL);
    if (last < 0) {
      this.partial = this.partial ? Buffer.concat([this.partial, chunk]) : chunk;
      if (this.partial.length >= MAX_PARTIAL) return this.flush();
      return null;
    }
    const head = chunk.subarray(0, last + 1);
    const region = this.partial ? Buffer.concat([this.partial, head]) : head;
    this.partial = last + 1 < chunk.length ? Buffer.from(chunk.subarray(last + 1)) : null;
    return stamp(region, linePrefix(this.tag, this.now()));
  }

  /** The waiting partial line, terminated, or null. */
  flush(): Buffer | null {
    if (!this.partial || this.partial.length === 0) return null;
    const line = Buffer.concat([this.partial, Buffer.from('\n')]);
    this.partial = null;
    return stamp(line, linePrefix(this.tag, this.now()));
  }
}

/** Prefix every line of a region that ends with '\n'. One allocation for the whole region. */
export function stamp(region: Buffer, prefix: Buffer): Buffer {
  let lines = 0;
  for (let i = region.indexOf(NL); i !== -1; i = region.indexOf(NL, i + 1)) lines++;
  const out = Buffer.allocUnsafe(region.length + lines * prefix.length);
  let src = 0;
  let dst = 0;
  while (src < region.length) {
    const end = region.indexOf(NL, src);
    dst += prefix.copy(out, dst);
    dst += region.copy(out, dst, src, end + 1);
    src = end + 1;
  }
  return out;
}
