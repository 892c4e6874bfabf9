import { EventEmitter } from 'node:events';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { JobctlError, type ErrorCode } from '../shared/errors.js';
import type { Method, Params, PushMessage, RequestMessage, Results } from '../shared/protocol.js';
import { formatAddress, type DaemonAddress } from '../shared/address.js';
import { openSsh, sshError, sshFailure, sshSaid, type SshOptions } from './ssh-stream.js';

export interface ClientOptions {
  /** Give up connecting after this long. @default 3000 */
  connectTimeoutMs?: number;
  /** Default per-call timeout. @default 60000 */
  callTimeoutMs?: number;
}

export interface DialOptions extends ClientOptions, SshOptions {
  /** The local daemon's socket, for a `local` address. */
  socketPath?: string;
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  timer: NodeJS.Timeout;
}

/**
 * The typed client of the daemon's protocol, used by the CLI and the TUI alike. It speaks
 * over any duplex stream: the local Unix socket (`connect`) and an `ssh … jobctl dial-stdio`
 * pipe (`dial` with an ssh:// address) are two ways to get one.
 * Events: 'push' (PushMessage), 'close'.
 */
export class JobctlClient extends EventEmitter {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private buffer = '';
  private closedFlag = false;
  private dropReason: string | undefined;

  private constructor(
    private readonly socket: Duplex,
    private readonly opts: ClientOptions,
    /** Why the stream closed, for the calls it cuts off. */
    private readonly lostReason: () => string = () => 'the daemon closed the connection',
  ) {
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

  /** A client over any stream that carries the protocol (newline-delimited JSON both ways). */
  static fromStream(stream: Duplex, opts: ClientOptions = {}, lostReason?: () => string): JobctlClient {
    return new JobctlClient(stream, opts, lostReason);
  }

  /**
   * Connect to a daemon wherever it is: `local` uses the socket path; `ssh://…` runs the
   * system ssh with `jobctl dial-stdio` on the far side and checks the pipe with `hello`,
   * so ssh's own errors (host key, auth, jobctl missing) come back as ssh said them.
   */
  static async dial(address: DaemonAddress, opts: DialOptions = {}): Promise<JobctlClient> {
    if (address.kind === 'local') {
      if (!opts.socketPath) throw new JobctlError('BAD_REQUEST', 'a local address needs the socket path of its home');
      return JobctlClient.connect(opts.socketPath, opts);
    }
    const target = formatAddress(address);
    const stream = openSsh(address, opts);
    const program = (opts.sshCommand ?? 'ssh').trim().split(/\s+/)[0]!;
    let spawnError: JobctlError | undefined;
    stream.child.once('error', (e: NodeJS.ErrnoException) => (spawnError = sshError(e, program)));
    stream.on('error', () => undefined);
    const exited = new Promise<void>((r) => stream.once('close', () => r()));
    const client = new JobctlClient(stream, opts, () => `lost the connection to ${target}: ${sshSaid(stream, opts.remoteCommand)}`);
    try {
      await client.call('hello', { client: 'jobctl (ssh)' }, opts.connectTimeoutMs ?? 15_000);
      return client;
    } catch (e) {
      client.close();
      await Promise.race([exited, new Promise((r) => setTimeout(r, 1000))]);
      if (spawnError) throw spawnError;
      if (e instanceof JobctlError && e.code === 'TIMEOUT') {
        throw new JobctlError('DAEMON_UNREACHABLE', `${target}: no answer within ${opts.connectTimeoutMs ?? 15_000}ms${stream.stderr.trim() ? ` (ssh said: ${stream.stderr.trim()})` : ''}`);
      }
      throw sshFailure(target, stream, opts.remoteCommand);
    }
  }

  /** Why the connection is (or would be) lost: the daemon closed or dropped it, or what ssh said. */
  get closeReason(): string {
    return this.dropReason ? `the daemon dropped the connection: ${this.dropReason}` : this.lostReason();
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
    if (this.closedFlag) return Promise.reject(new JobctlError('DAEMON_UNREACHABLE', `the connection to the daemon is closed (${this.lostReason()})`));
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
      p.reject(new JobctlError('DAEMON_UNREACHABLE', this.closeReason));
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

export function unreachable(socketPath: string, e: NodeJS.ErrnoException): JobctlError {
  if (e.code === 'ENOENT' || e.code === 'ECONNREFUSED') {
    return new JobctlError('DAEMON_UNREACHABLE', 'daemon not running: start it with `jobctl up` (or `jobctl daemon` in the foreground)', { cause: e });
  }
  if (e.code === 'EACCES') {
    return new JobctlError('DAEMON_UNREACHABLE', `permission denied on ${socketPath}: run jobctl as the daemon's user`, { cause: e });
  }
  return new JobctlError('DAEMON_UNREACHABLE', `cannot reach the daemon at ${socketPath}: ${e.message}`, { cause: e });
}
