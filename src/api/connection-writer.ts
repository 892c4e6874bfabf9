import type net from 'node:net';
import type { PushMessage, ReplyMessage } from '../shared/protocol.js';

export interface WriterOptions {
  /** Above this many bytes waiting for the client, log output is skipped (and counted) instead of queued. @default 1 MiB */
  highWaterBytes?: number;
  /** A client with more than this many bytes unread (replies and events that cannot be skipped) is dropped. @default 16 MiB */
  maxBacklogBytes?: number;
  /** A client that reads nothing for this long while output waits for it is dropped. @default 30000 */
  stallMs?: number;
  /**
   * How long a dropped client gets to read why before its socket is closed (a paused pager
   * that moves on within this long still shows the reason). @default 60000
   */
  lingerMs?: number;
}

/**
 * Everything the server sends on one connection goes through here, so one client's
 * pace never costs the daemon memory or another client anything:
 * - below the high-water mark, messages are written in order;
 * - above it, log output (the only thing a task can produce without bound) is left out
 *   and the client is told how many bytes it missed (`log-skipped`) once it catches up,
 *   so a client that keeps reading is never cut off, however fast the task writes;
 * - a client that reads nothing for `stallMs` while output waits, or lets more than
 *   `maxBacklogBytes` of replies pile up, is sent `dropped` with the reason and closed.
 */
export class ConnectionWriter {
  private readonly highWater: number;
  private readonly maxBacklog: number;
  private readonly stallMs: number;
  private readonly lingerMs: number;
  /** Bytes handed to the socket so far; minus its writableLength, what the client has taken. */
  private queued = 0;
  private readonly skipped = new Map<number, number>();
  private stallTimer: NodeJS.Timeout | undefined;
  private lingerTimer: NodeJS.Timeout | undefined;
  private droppedReason: string | undefined;

  constructor(private readonly socket: net.Socket, opts: WriterOptions, private readonly onDrop: (reason: string) => void) {
    this.highWater = opts.highWaterBytes ?? 1024 * 1024;
    this.maxBacklog = opts.maxBacklogBytes ?? 16 * 1024 * 1024;
    this.stallMs = opts.stallMs ?? 30_000;
    this.lingerMs = opts.lingerMs ?? 60_000;
    socket.on('drain', () => this.onDrain());
    socket.once('close', () => this.clearTimers());
  }

  /** Why this connection was dropped, if it was. */
  get dropped(): string | undefined {
    return this.droppedReason;
  }

  send(msg: PushMessage | ReplyMessage): void {
    if (this.droppedReason !== undefined || this.socket.destroyed || !this.socket.writable) return;
    if ('event' in msg && msg.event === 'log' && this.socket.writableLength >= this.highWater) {
      const sub = msg.data.subscription;
      this.skipped.set(sub, (this.skipped.get(sub) ?? 0) + Buffer.byteLength(msg.data.text));
      this.armStall();
      return;
    }
    this.write(msg);
    if (this.socket.writableLength > this.maxBacklog) {
      this.drop(`more than ${this.maxBacklog} bytes unread; the client stopped reading`);
    } else if (this.socket.writableLength >= this.highWater) this.armStall();
  }

  /** Tell the client why, then close: at once if it reads, after lingerMs if not. Safe to call twice. */
  drop(reason: string): void {
    if (this.droppedReason !== undefined) return;
    this.droppedReason = reason;
    this.clearTimers();
    this.skipped.clear();
    if (!this.socket.destroyed) {
      this.write({ event: 'dropped', data: { reason } });
      this.socket.end();
      this.lingerTimer = setTimeout(() => this.socket.destroy(), this.lingerMs);
      this.lingerTimer.unref();
    }
    this.onDrop(reason);
  }

  private write(msg: PushMessage | ReplyMessage): void {
    const buf = Buffer.from(`${JSON.stringify(msg)}\n`);
    this.queued += buf.length;
    this.socket.write(buf);
  }

  private onDrain(): void {
    this.clearStall();
    if (this.droppedReason !== undefined) return;
    for (const [subscription, bytes] of this.skipped) this.write({ event: 'log-skipped', data: { subscription, bytes } });
    this.skipped.clear();
  }

  /** While output waits, check every stallMs that the client took some of it. */
  private armStall(): void {
    if (this.stallTimer) return;
    const taken = () => this.queued - this.socket.writableLength;
    let before = taken();
    const check = () => {
      if (this.socket.writableLength === 0) {
        this.stallTimer = undefined;
        return;
      }
      const now = taken();
      if (now === before) {
        this.stallTimer = undefined;
        this.drop(`read nothing for ${Math.round(this.stallMs / 1000)}s while output waited`);
        return;
      }
      before = now;
      this.stallTimer = setTimeout(check, this.stallMs);
      this.stallTimer.unref();
    };
    this.stallTimer = setTimeout(check, this.stallMs);
    this.stallTimer.unref();
  }

  private clearStall(): void {
    if (this.stallTimer) clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
  }

  private clearTimers(): void {
    this.clearStall();
    if (this.lingerTimer && this.socket.destroyed) clearTimeout(this.lingerTimer);
  }
}
