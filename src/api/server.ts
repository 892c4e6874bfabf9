import { writePush, writeReply } from './wire-kind.js';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { z } from 'zod';
import { didYouMean } from '../shared/suggest.js';
import { checkParams } from '../shared/param-check.js';
import { PARAM_SCHEMAS } from '../shared/protocol-checks.generated.js';
import type { AuditTrail } from '../runtime/audit-trail.js';
import { JobctlError, errorMessage, isJobctlError } from '../shared/errors.js';
import { ConnectionAccess, type AccessSource, type Admitted } from './access-gate.js';
import { ConnectionWriter, type WriterOptions } from './connection-writer.js';
import {
  MAX_LINE_BYTES, METHODS, type METHOD_PARAMS, type ErrorBody, type Identity, type Method, type PushMessage, type ReplyMessage, type Results,
} from '../shared/protocol.js';

/** sun_path holds 108 bytes on Linux (104 elsewhere), the terminating NUL included. */
const MAX_SOCKET_PATH = process.platform === 'linux' ? 107 : 103;

/** What a handler knows about the connection that called it. */
export interface Connection {
  readonly id: number;
  /**
   * Send a push message. Log output is left out (and counted to the client) while the client
   * is behind; a client that stops reading is dropped with the reason (see ConnectionWriter).
   */
  push(msg: PushMessage): void;
  /** Run when the connection closes. */
  onClose(fn: () => void): void;
  readonly closed: boolean;
  /** Who is calling (as of this call): the operator named by the SSH forced command, or the socket's owner. */
  readonly identity: Identity;
}

/** A group / `--all` target cut to the caller's scope by the server (docs/access.md). */
export interface Narrowing {
  /** Act on these tasks only (the target's tasks within the caller's scope). */
  only?: string[];
}

/** Methods whose target a scoped caller's rights narrow. */
type NarrowedMethod = 'status' | 'start' | 'stop' | 'restart';

/** Methods the server answers itself: who a connection is, and the audit trail it keeps. */
export type ServerMethod = 'identify' | 'audit';
export type DaemonMethod = Exclude<Method, ServerMethod>;
/** What a handler answers; the server adds the connection's identity to `hello`. */
export type HandlerResult<M extends DaemonMethod> = M extends 'hello' ? Omit<Results['hello'], 'identity'> : Results[M];

export type Handlers = {
  [M in DaemonMethod]: (
    params: z.output<(typeof METHOD_PARAMS)[M]> & (M extends NarrowedMethod ? Narrowing : unknown),
    conn: Connection,
  ) => Promise<HandlerResult<M>> | HandlerResult<M>;
};

export interface ApiServerOptions extends WriterOptions {
  socketPath: string;
  handlers: Handlers;
  onError?: (message: string) => void;
  /** A client dropped for not reading (see WriterOptions): for the daemon log. */
  onDrop?: (message: string) => void;
  /** Who may do what (`access:` of jobctl.yaml, live). Absent: no operators; every connection is the owner. */
  access?: AccessSource;
  /** Where control calls are recorded (`state/audit.jsonl`). */
  audit?: AuditTrail;
}

/** The OS user the daemon runs as: who a connection to the owner-only socket is. */
export function osUserName(): string {
  try {
    return os.userInfo().username;
  } catch {
    return `uid ${process.getuid?.() ?? '?'}`;
  }
}

/**
 * The Unix-socket server. Every request gets exactly one reply; nothing a client sends
 * can crash the daemon: malformed JSON, oversized lines, unknown methods and bad params
 * get coded errors; a vanished client only releases its subscriptions.
 */
export class ApiServer {
  private server: net.Server;
  /** The inode of the socket file this server bound, to notice it removed (rm -rf state/). */
  private boundIno: number | undefined;
  private readonly sockets = new Set<net.Socket>();
  private nextConn = 1;
  private closing: Promise<void> | undefined;
  private readonly access: AccessSource;

  constructor(private readonly opts: ApiServerOptions) {
    this.access = opts.access ?? { owner: osUserName(), rules: () => undefined, tasks: () => [], groupOf: () => undefined };
    this.server = net.createServer((socket) => this.accept(socket));
    this.server.on('error', (e) => opts.onError?.(`socket server: ${e.message}`));
  }

  /**
   * Listen on the socket path: 0700 directory, 0600 socket. The socket is created with
   * umask 0177 set only around the synchronous bind, so no child spawned meanwhile (the
   * umask is per process) inherits it; a chmod afterwards makes sure of the mode.
   */
  async listen(): Promise<void> {
    const bytes = Buffer.byteLength(this.opts.socketPath);
    if (bytes > MAX_SOCKET_PATH) {
      // The kernel would bind a truncated path: a socket outside the home, shared by every
      // home with the same first bytes.
      throw new JobctlError('IO_ERROR', `socket path ${this.opts.socketPath} is too long for a Unix socket (${bytes} bytes, at most ${MAX_SOCKET_PATH}): use a shorter home`);
    }
    const dir = path.dirname(this.opts.socketPath);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.chmodSync(dir, 0o700);
    fs.rmSync(this.opts.socketPath, { force: true });
    const listening = new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.once('listening', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const old = process.umask(0o177);
    try {
      this.server.listen(this.opts.socketPath); // binds synchronously; 'listening' comes on the next tick
    } finally {
      process.umask(old);
    }
    await listening;
    fs.chmodSync(this.opts.socketPath, 0o600);
    this.boundIno = fs.statSync(this.opts.socketPath).ino;
  }

  /**
   * The socket file was removed under a running daemon (`rm -rf state/`): bind it again, so
   * clients reach this daemon, which still holds the home's lock, instead of finding none.
   * Connections already open go on. False when nothing was missing.
   */
  async rebindIfGone(): Promise<boolean> {
    if (this.closing || this.boundIno === undefined) return false;
    try {
      if (fs.lstatSync(this.opts.socketPath).ino === this.boundIno) return false;
      return false; // another file is there now: not ours to replace
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return false;
    }
    const old = this.server;
    this.server = net.createServer((socket) => this.accept(socket));
    this.server.on('error', (e) => this.opts.onError?.(`socket server: ${e.message}`));
    old.close();
    await this.listen();
    return true;
  }

  private accept(socket: net.Socket): void {
    this.sockets.add(socket);
    const closers: Array<() => void> = [];
    let closed = false;
    const id = this.nextConn++;
    // Subscriptions end as soon as a client is dropped, not when it finally closes.
    const writer = new ConnectionWriter(socket, this.opts, (reason) => {
      this.opts.onDrop?.(`client ${id} dropped: ${reason}`);
      finish();
    });
    const rights = new ConnectionAccess(this.access);
    const conn: Connection = {
      id,
      push: (msg) => {
        if (closed) return;
        const shown = rights.push(msg);
        if (shown) writer.send(writePush(shown));
      },
      onClose: (fn) => closers.push(fn),
      get closed() {
        return closed;
      },
      get identity() {
        return rights.current;
      },
    };
    const finish = () => {
      if (closed) return;
      closed = true;
      for (const fn of closers.splice(0)) {
        try {
          fn();
        } catch {
          /* a cleanup must not stop the others */
        }
      }
    };
    socket.on('close', () => {
      this.sockets.delete(socket);
      finish();
    });
    socket.on('error', () => socket.destroy());
    const send = (msg: ReplyMessage) => writer.send(msg);

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
          send({ id: null, error: tooLarge() });
          continue;
        }
        if (line.length) void this.handleLine(line.toString('utf8'), send, conn, rights);
      }
      if (start < chunk.length && !discarding) {
        const rest = chunk.subarray(start);
        pendingBytes += rest.length;
        if (pendingBytes > MAX_LINE_BYTES) {
          // Refuse now, then skip everything up to the next newline.
          pending = [];
          pendingBytes = 0;
          discarding = true;
          send({ id: null, error: tooLarge() });
        } else pending.push(Buffer.from(rest));
      }
    });
  }

  private async handleLine(line: string, send: (msg: ReplyMessage) => void, conn: Connection, rights: ConnectionAccess): Promise<void> {
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch (e) {
      send({ id: null, error: { code: 'BAD_REQUEST', message: `malformed JSON: ${errorMessage(e)}; send one JSON object per line` } });
      return;
    }
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
      send({ id: null, error: { code: 'BAD_REQUEST', message: 'a request is a JSON object {id, method, params}' } });
      return;
    }
    const { id, method, params } = msg as { id?: unknown; method?: unknown; params?: unknown };
    const replyId = typeof id === 'number' || typeof id === 'string' ? id : null;
    if (replyId === null) {
      send({ id: null, error: { code: 'BAD_REQUEST', message: 'request needs an "id" (number or string)' } });
      return;
    }
    if (typeof method !== 'string' || !Object.hasOwn(PARAM_SCHEMAS, method)) {
      const m = typeof method === 'string' ? method : String(method);
      send({ id: replyId, error: { code: 'UNKNOWN_METHOD', message: `unknown method "${m}"${didYouMean(m, METHODS)}` } });
      return;
    }
    const m = method as Method;
    const args = (params ?? {}) as Record<string, unknown>;
    const issues = checkParams(PARAM_SCHEMAS[m], args);
    if (issues.length) {
      const detail = issues.map((i) => `${i.path.join('.') || 'params'}: ${i.message}`).join('; ');
      send({ id: replyId, error: { code: 'BAD_REQUEST', message: `bad params for ${method}: ${detail}` } });
      return;
    }
    let call: Admitted | undefined;
    try {
      const result = await this.dispatch(m, args, conn, rights, (c) => (call = c));
      send({ id: replyId, result: writeReply(result) });
      this.audit(rights, m, args, call, undefined);
    } catch (e) {
      // The caller reads the error within its rights; the audit trail (admin) keeps it whole.
      const error = toErrorBody(e);
      send({ id: replyId, error: rights.shapeError(error, args) });
      this.audit(rights, m, args, call, error);
      if (!isJobctlError(e)) this.opts.onError?.(`${method} failed: ${e instanceof Error ? e.stack : String(e)}`);
    }
  }

  /**
   * One call: the rights check (the only one: docs/access.md), then the handler with the
   * params narrowed to the caller's scope, then the result cut to what the caller may see.
   */
  private async dispatch(method: Method, params: Record<string, unknown>, conn: Connection, rights: ConnectionAccess, admitted: (c: Admitted) => void): Promise<unknown> {
    if (method === 'identify') return { identity: rights.identify(params.operator as string, params.from as string | undefined) };
    const call = rights.admit(method, params);
    admitted(call);
    if (method === 'audit') return { entries: this.opts.audit?.tail((params.limit as number | undefined) ?? 50) ?? [] };
    const handler = this.opts.handlers[method] as (p: unknown, c: Connection) => unknown;
    return rights.shape(method, await handler(call.params, conn), call);
  }

  private audit(rights: ConnectionAccess, method: Method, params: Record<string, unknown>, call: Admitted | undefined, error: ErrorBody | undefined): void {
    if (!this.opts.audit) return;
    const entry = rights.auditEntry(method, params, call, error);
    if (entry) this.opts.audit.record(entry);
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
