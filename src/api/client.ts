import { EventEmitter } from 'node:events';
import net from 'node:net';
import { JobctlError, type ErrorCode } from '../shared/errors.js';
import type { Method, Params, PushMessage, RequestMessage, Results } from '../shared/protocol.js';

export interface ClientOptions {
  /** Give up connecting after this long. @default 3000 */
  connectTimeoutMs?: number;
  /** Default per-call timeout. @default 60000 */
  callTimeoutMs?: number;
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  timer: NodeJS.Timeout;
}

/**
 * The typed client of the daemon's socket, used by the CLI and the TUI alike.
 * Events: 'push' (PushMessage), 'close'.
 */
export class JobctlClient extends EventEmitter {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private buffer = '';
  private closedFlag = false;
  private dropReason: string | undefined;

  private constructor(private readonly socket: net.Socket, private readonly opts: ClientOptions) {
    super();
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('close', () => this.onClose());
    socket.on('error', () => undefined);
  }

  static connect(socketPath: string, opts: ClientOptions = {}): Promise<JobctlClient> {
    return new Promise((resolve, reject) => {
      const socket = net.createConnection(socketPath);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new JobctlError('DAEMON_UNREACHABLE', `daemon did not answer on ${socketPath} within ${opts.connectTimeoutMs ?? 3000}ms`));
      }, opts.connectTimeoutMs ?? 3000);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(new JobctlClient(socket, opts));
      });
      socket.once('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(unreachable(socketPath, e));
      });
    });
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  /** Set when the daemon dropped this connection for not reading fast enough: its reason. */
  get dropped(): string | undefined {
    return this.dropReason;
  }

  /**
   * Stop reading from the daemon until resume() (backpressure: the caller's output is full).
   * The daemon then skips log output for this client and says how much (`log-skipped`).
   */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  call<M extends Method>(method: M, params: Params<M> = {} as Params<M>, timeoutMs?: number): Promise<Results[M]> {
    if (this.closedFlag) return Promise.reject(new JobctlError('DAEMON_UNREACHABLE', 'the connection to the daemon is closed'));
    const id = this.nextId++;
    return new Promise<Results[M]>((resolve, reject) => {
      const ms = timeoutMs ?? this.opts.callTimeoutMs ?? 60_000;
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new JobctlError('TIMEOUT', `the daemon did not answer "${method}" within ${ms}ms`));
      }, ms);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      const request: RequestMessage<M> = { id, method, params };
      this.socket.write(`${JSON.stringify(request)}\n`);
    });
  }

  private onData(chunk: string): void {
    // One split per chunk: a flood of large lines must not cost a copy of the buffer per line.
    if (chunk.indexOf('\n') === -1) {
      this.buffer += chunk;
      return;
    }
    const lines = (this.buffer + chunk).split('\n');
    this.buffer = lines.pop() ?? '';
    for (const line of lines) {
      if (!line) continue;
      let msg: { id?: number; result?: unknown; error?: { code: ErrorCode; message: string; data?: unknown }; event?: string };
      try {
        msg = JSON.parse(line);
      } catch {
        continue;
      }
      if (msg.event !== undefined) {
        const push = msg as PushMessage;
        if (push.event === 'dropped') this.dropReason = push.data.reason;
        this.emit('push', push);
        continue;
      }
      const p = msg.id === undefined ? undefined : this.pending.get(msg.id);
      if (!p) continue;
      this.pending.delete(msg.id!);
      clearTimeout(p.timer);
      if (msg.error) p.reject(new JobctlError(msg.error.code, msg.error.message, msg.error.data === undefined ? {} : { data: msg.error.data }));
      else p.resolve(msg.result);
    }
  }

  private onClose(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new JobctlError('DAEMON_UNREACHABLE', this.dropReason ? `the daemon dropped the connection: ${this.dropReason}` : 'the daemon closed the connection'));
    }
    this.pending.clear();
    this.emit('close');
  }

  /** Safe to call twice. */
  close(): void {
    this.socket.end();
    this.socket.destroy();
    this.onClose();
  }
}

function unreachable(socketPath: string, e: NodeJS.ErrnoException): JobctlError {
  if (e.code === 'ENOENT' || e.code === 'ECONNREFUSED') {
    return new JobctlError('DAEMON_UNREACHABLE', 'daemon not running: start it with `jobctl up` (or `jobctl daemon` in the foreground)', { cause: e });
  }
  if (e.code === 'EACCES') {
    return new JobctlError('DAEMON_UNREACHABLE', `permission denied on ${socketPath}: run jobctl as the daemon's user`, { cause: e });
  }
  return new JobctlError('DAEMON_UNREACHABLE', `cannot reach the daemon at ${socketPath}: ${e.message}`, { cause: e });
}
