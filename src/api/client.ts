import { EventEmitter } from 'node:events';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { JobctlError, type ErrorCode } from '../shared/errors.js';
import { MAX_LINE_BYTES } from '../shared/limits.js';
import type { Method, Params, PushMessage, RequestMessage, Results } from '../shared/protocol.js';
import { badPush, badReply } from './reply-shape.js';
import { readPush, readReply } from './wire-kind.js';
import { formatAddress, type DaemonAddress } from '../shared/address.js';
import { openSsh, sshError, sshFailure, sshSaid, type SshOptions } from './ssh-stream.js';

export interface ClientOptions {
  /** Give up connecting after this long. @default 3000 */
  connectTimeoutMs?: number;
  /** Default per-call timeout. @default 60000 */
  callTimeoutMs?: number;
  /**
   * Ask the far side every this many ms while nothing else comes (a protocol ping); no answer
   * within `pingTimeoutMs` ends the connection as dead. Off by default (the local socket
   * cannot hang); `dial` over ssh turns it on.
   */
  pingIntervalMs?: number;
  /** @default 15000 */
  pingTimeoutMs?: number;
}

export interface DialOptions extends ClientOptions, SshOptions {
  /** The local daemon's socket, for a `local` address. */
  socketPath?: string;
}

interface Pending {
  method: string;
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
  /** UTF-8 bytes of `buffer`: the cap is in bytes, as the server's; a character may be up to 4. */
  private bufferBytes = 0;
  private closedFlag = false;
  private dropReason: string | undefined;
  /** Set when the client ended the connection itself: a peer that broke the protocol, a dead link. */
  private faultReason: string | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private lastData = Date.now();
  private paused = false;
  /** Who is at the other end, for messages: "the daemon", or the ssh target. */
  private peerName = 'the daemon';

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
    if (opts.pingIntervalMs) this.startPings(opts.pingIntervalMs, opts.pingTimeoutMs ?? 15_000);
  }

  /** While nothing comes, a `hello` every interval; no answer in time means the link is dead. */
  private startPings(intervalMs: number, timeoutMs: number): void {
    let inFlight = false;
    this.pingTimer = setInterval(() => {
      if (inFlight || this.paused || this.closedFlag || Date.now() - this.lastData < intervalMs) return;
      inFlight = true;
      this.call('hello', { client: 'jobctl (ping)' }, timeoutMs).then(
        () => (inFlight = false),
        (e: unknown) => {
          inFlight = false;
          if (e instanceof JobctlError && e.code === 'TIMEOUT' && Date.now() - this.lastData >= timeoutMs) {
            this.fault(`no answer for ${Math.round((Date.now() - this.lastData) / 1000)}s: the link is dead`);
          }
        },
      );
    }, Math.min(intervalMs, 1000));
    this.pingTimer.unref();
  }

  /** End the connection for a reason of the client's own; pending calls get it. */
  private fault(reason: string, taken?: Pending): void {
    if (this.closedFlag) return;
    this.faultReason = reason;
    if (taken) {
      clearTimeout(taken.timer);
      taken.reject(new JobctlError('DAEMON_UNREACHABLE', this.closeReason));
    }
    this.socket.destroy();
    this.onClose();
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
    // A frozen far side or a silent partition: ssh's own keepalive (sshArgv) and a protocol ping
    // each find a dead link within ~30 s.
    const client = new JobctlClient(stream, { pingIntervalMs: 10_000, pingTimeoutMs: 15_000, ...opts }, () => `lost the connection to ${target}: ${sshSaid(stream, opts.remoteCommand)}`);
    client.peerName = target;
    try {
      await client.call('hello', { client: 'jobctl (ssh)' }, opts.connectTimeoutMs ?? 15_000);
      return client;
    } catch (e) {
      if (client.faultReason) throw e;
      client.close();
      // The daemon answered and refused (an operator not in its access:, docs/access.md).
      if (e instanceof JobctlError && e.code === 'FORBIDDEN') throw new JobctlError('FORBIDDEN', `${target}: ${e.message}`);
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
    if (this.faultReason) return `ended the connection to ${this.peerName}: ${this.faultReason}`;
    return this.dropReason ? `the daemon dropped the connection: ${this.dropReason}` : this.lostReason();
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  /** The client ended the connection itself (a peer that broke the protocol, a ping without an answer). */
  get faulted(): boolean {
    return this.faultReason !== undefined;
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
    this.paused = true;
    this.socket.pause();
  }

  resume(): void {
    this.paused = false;
    this.lastData = Date.now();
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
      this.pending.set(id, { method, resolve: resolve as (v: unknown) => void, reject, timer });
      const request: RequestMessage<M> = { id, method, params };
      this.socket.write(`${JSON.stringify(request)}\n`);
    });
  }

  private onData(chunk: string): void {
    this.lastData = Date.now();
    const tooLong = `it sent a line over ${MAX_LINE_BYTES} bytes (not a jobctl daemon?)`;
    // One split per chunk: a flood of large lines must not cost a copy of the buffer per line.
    if (chunk.indexOf('\n') === -1) {
      this.buffer += chunk;
      this.bufferBytes += Buffer.byteLength(chunk);
      if (this.bufferBytes > MAX_LINE_BYTES) this.fault(tooLong);
      return;
    }
    const lines = (this.buffer + chunk).split('\n');
    this.buffer = lines.pop() ?? '';
    this.bufferBytes = Buffer.byteLength(this.buffer);
    if (this.bufferBytes > MAX_LINE_BYTES) return this.fault(tooLong);
    for (const line of lines) {
      if (this.closedFlag) return;
      if (!line) continue;
      if (overCap(line)) return this.fault(tooLong);
      let msg: { id?: number; result?: unknown; error?: { code: ErrorCode; message: string; data?: unknown }; event?: string };
      try {
        msg = JSON.parse(line);
      } catch {
        continue;
      }
      if (typeof msg !== 'object' || msg === null) return this.fault('it sent something that is not a JSON object (not a jobctl daemon?)');
      if (msg.event !== undefined) {
        const wrongPush = badPush(msg);
        if (wrongPush) return this.fault(`it sent ${wrongPush} (not a jobctl daemon, or another version?)`);
        const push = readPush(msg) as PushMessage;
        if (push.event === 'dropped') this.dropReason = push.data.reason;
        this.emit('push', push);
        continue;
      }
      const p = msg.id === undefined ? undefined : this.pending.get(msg.id);
      if (!p) continue;
      this.pending.delete(msg.id!);
      clearTimeout(p.timer);
      if (msg.error) {
        const err = msg.error as unknown as { code?: unknown; message?: unknown; data?: unknown };
        if (typeof err !== 'object' || err === null || typeof err.code !== 'string' || typeof err.message !== 'string') return this.fault(`it sent a malformed error reply to "${p.method}" (not a jobctl daemon?)`, p);
        p.reject(new JobctlError(err.code as ErrorCode, err.message, err.data === undefined ? {} : { data: err.data }));
        continue;
      }
      const wrong = badReply(p.method, msg.result);
      if (wrong) return this.fault(`it sent ${wrong} (not a jobctl daemon, or another version?)`, p);
      p.resolve(readReply(msg.result));
    }
  }

  private onClose(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    if (this.pingTimer) clearInterval(this.pingTimer);
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

/** Over the cap in UTF-8 bytes; counted only when the length cannot settle it (one UTF-16 unit is 1 to 3 bytes). */
function overCap(line: string): boolean {
  if (line.length > MAX_LINE_BYTES) return true;
  return line.length * 3 > MAX_LINE_BYTES && Buffer.byteLength(line) > MAX_LINE_BYTES;
}
