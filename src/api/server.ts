import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { z } from 'zod';
import { didYouMean } from '../config/suggest.js';
import { JobctlError, errorMessage, isJobctlError } from '../shared/errors.js';
import {
  MAX_LINE_BYTES, METHOD_PARAMS, METHODS, type ErrorBody, type Method, type PushMessage, type ReplyMessage, type Results,
} from '../shared/protocol.js';

/** What a handler knows about the connection that called it. */
export interface Connection {
  readonly id: number;
  /** Send a push message; dropped (and the client cut off) if it cannot keep up. */
  push(msg: PushMessage): void;
  /** Run when the connection closes. */
  onClose(fn: () => void): void;
  readonly closed: boolean;
}

export type Handlers = {
  [M in Method]: (params: z.output<(typeof METHOD_PARAMS)[M]>, conn: Connection) => Promise<Results[M]> | Results[M];
};

export interface ApiServerOptions {
  socketPath: string;
  handlers: Handlers;
  onError?: (message: string) => void;
  /** A client with more than this many bytes unread is disconnected. @default 16 MiB */
  maxBacklogBytes?: number;
}

/**
 * The Unix-socket server. Every request gets exactly one reply; nothing a client sends
 * can crash the daemon: malformed JSON, oversized lines, unknown methods and bad params
 * get coded errors; a vanished client only releases its subscriptions.
 */
export class ApiServer {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private nextConn = 1;
  private closing: Promise<void> | undefined;

  constructor(private readonly opts: ApiServerOptions) {
    this.server = net.createServer((socket) => this.accept(socket));
    this.server.on('error', (e) => opts.onError?.(`socket server: ${e.message}`));
  }

  /** Listen on the socket path: 0700 directory, 0600 socket. */
  async listen(): Promise<void> {
    const dir = path.dirname(this.opts.socketPath);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.chmodSync(dir, 0o700);
    fs.rmSync(this.opts.socketPath, { force: true });
    const old = process.umask(0o177);
    try {
      await new Promise<void>((resolve, reject) => {
        this.server.once('error', reject);
        this.server.listen(this.opts.socketPath, () => {
          this.server.off('error', reject);
          resolve();
        });
      });
    } finally {
      process.umask(old);
    }
    fs.chmodSync(this.opts.socketPath, 0o600);
  }

  private accept(socket: net.Socket): void {
    this.sockets.add(socket);
    const closers: Array<() => void> = [];
    let closed = false;
    const maxBacklog = this.opts.maxBacklogBytes ?? 16 * 1024 * 1024;
    const conn: Connection = {
      id: this.nextConn++,
      push: (msg) => {
        if (closed || socket.destroyed) return;
        if (socket.writableLength > maxBacklog) {
          socket.destroy(); // a client that does not read is let go rather than buffered
          return;
        }
        socket.write(`${JSON.stringify(msg)}\n`);
      },
      onClose: (fn) => closers.push(fn),
      get closed() {
        return closed;
      },
    };
    const finish = () => {
      if (closed) return;
      closed = true;
      this.sockets.delete(socket);
      for (const fn of closers.splice(0)) {
        try {
          fn();
        } catch {
          /* a cleanup must not stop the others */
        }
      }
    };
    socket.on('close', finish);
    socket.on('error', () => socket.destroy());

    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let discarding = false;
    socket.on('data', (chunk: Buffer) => {
      let start = 0;
      for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
        const piece = chunk.subarray(start, nl);
        start = nl + 1;
        if (discarding) {
          discarding = false;
          continue;
        }
        const line = pendingBytes ? Buffer.concat([...pending, piece]) : piece;
        pending = [];
        pendingBytes = 0;
        if (line.length > MAX_LINE_BYTES) {
          this.reply(socket, { id: null, error: tooLarge() });
          continue;
        }
        if (line.length) void this.handleLine(line.toString('utf8'), socket, conn);
      }
      if (start < chunk.length && !discarding) {
        const rest = chunk.subarray(start);
        pendingBytes += rest.length;
        if (pendingBytes > MAX_LINE_BYTES) {
          // Refuse now, then skip everything up to the next newline.
          pending = [];
          pendingBytes = 0;
          discarding = true;
          this.reply(socket, { id: null, error: tooLarge() });
        } else pending.push(Buffer.from(rest));
      }
    });
  }

  private reply(socket: net.Socket, msg: ReplyMessage): void {
    if (!socket.destroyed) socket.write(`${JSON.stringify(msg)}\n`);
  }

  private async handleLine(line: string, socket: net.Socket, conn: Connection): Promise<void> {
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch (e) {
      this.reply(socket, { id: null, error: { code: 'BAD_REQUEST', message: `malformed JSON: ${errorMessage(e)}; send one JSON object per line` } });
      return;
    }
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
      this.reply(socket, { id: null, error: { code: 'BAD_REQUEST', message: 'a request is a JSON object {id, method, params}' } });
      return;
    }
    const { id, method, params } = msg as { id?: unknown; method?: unknown; params?: unknown };
    const replyId = typeof id === 'number' || typeof id === 'string' ? id : null;
    if (replyId === null) {
      this.reply(socket, { id: null, error: { code: 'BAD_REQUEST', message: 'request needs an "id" (number or string)' } });
      return;
    }
    if (typeof method !== 'string' || !(method in METHOD_PARAMS)) {
      const m = typeof method === 'string' ? method : String(method);
      this.reply(socket, { id: replyId, error: { code: 'UNKNOWN_METHOD', message: `unknown method "${m}"${didYouMean(m, METHODS)}` } });
      return;
    }
    const schema = METHOD_PARAMS[method as Method];
    const parsed = schema.safeParse(params ?? {});
    if (!parsed.success) {
      const detail = parsed.error.issues.map((i) => `${i.path.join('.') || 'params'}: ${i.message}`).join('; ');
      this.reply(socket, { id: replyId, error: { code: 'BAD_REQUEST', message: `bad params for ${method}: ${detail}` } });
      return;
    }
    try {
      const handler = this.opts.handlers[method as Method] as (p: unknown, c: Connection) => unknown;
      const result = await handler(parsed.data, conn);
      this.reply(socket, { id: replyId, result });
    } catch (e) {
      this.reply(socket, { id: replyId, error: toErrorBody(e) });
      if (!isJobctlError(e)) this.opts.onError?.(`${method} failed: ${e instanceof Error ? e.stack : String(e)}`);
    }
  }

  /** Stop accepting, end every connection, remove the socket. Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      for (const s of this.sockets) s.destroy();
      this.server.close(() => resolve());
    }).then(() => {
      fs.rmSync(this.opts.socketPath, { force: true });
    });
    return this.closing;
  }
}

function tooLarge(): ErrorBody {
  return { code: 'BAD_REQUEST', message: `request larger than ${MAX_LINE_BYTES} bytes; it was discarded` };
}

export function toErrorBody(e: unknown): ErrorBody {
  if (e instanceof JobctlError) return { code: e.code, message: e.message, ...(e.data !== undefined ? { data: e.data } : {}) };
  return { code: 'INTERNAL', message: `internal error: ${errorMessage(e)}` };
}
