import type { ServerResponse } from 'node:http';

/**
 * One server-sent-events response: `event:`/`data:` frames, a comment every `keepAliveMs` so
 * proxies and the browser keep the stream open, and backpressure: while the socket's buffer
 * is full, frames wait in memory up to `maxQueuedBytes`, past which the stream is ended (the
 * page reconnects and starts from a fresh snapshot) rather than growing without bound.
 */
export class SseStream {
  private closed = false;
  private readonly timer: NodeJS.Timeout;
  private readonly onClose: Array<() => void> = [];
  private readonly maxQueued: number;

  constructor(private readonly res: ServerResponse, opts: { keepAliveMs?: number; maxQueuedBytes?: number } = {}) {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.flushHeaders();
    this.maxQueued = opts.maxQueuedBytes ?? 32 * 1024 * 1024;
    this.timer = setInterval(() => this.write(': keep-alive\n\n'), opts.keepAliveMs ?? 15_000);
    this.timer.unref();
    res.on('close', () => this.end());
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Called once when the stream ends, whoever ends it. */
  onEnd(fn: () => void): void {
    if (this.closed) fn();
    else this.onClose.push(fn);
  }

  send(type: string, data: unknown): void {
    this.write(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  private write(frame: string): void {
    if (this.closed) return;
    if (this.res.writableLength > this.maxQueued) {
      this.end();
      return;
    }
    this.res.write(frame);
  }

  /** Safe to call twice. */
  end(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.res.end();
    for (const fn of this.onClose.splice(0)) fn();
  }
}
