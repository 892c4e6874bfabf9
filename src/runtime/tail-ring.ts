/**
 * The most recent bytes of a log, bounded, for `logs -n` and the first screen of
 * `logs -f` without reading the file. Chunks are kept as they come; lines are cut
 * only when asked for.
 */
export class TailRing {
  private chunks: Buffer[] = [];
  private bytes = 0;

  constructor(private readonly capacity = 256 * 1024) {}

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    while (this.bytes - (this.chunks[0]?.length ?? 0) >= this.capacity && this.chunks.length > 1) {
      this.bytes -= this.chunks.shift()!.length;
    }
  }

  /** The last n whole lines (without their newlines). */
  lines(n: number): string[] {
    if (n <= 0 || this.bytes === 0) return [];
    const text = Buffer.concat(this.chunks).toString('utf8');
    const all = text.split('\n');
    if (all[all.length - 1] === '') all.pop();
    // The first line may be cut by the ring's edge: drop it when the ring is full.
    if (this.bytes >= this.capacity && all.length > 1) all.shift();
    return all.slice(-n);
  }

  clear(): void {
    this.chunks = [];
    this.bytes = 0;
  }
}
