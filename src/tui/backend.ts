import { EventEmitter } from 'node:events';
import type { JobctlClient } from '../api/client.js';
import { answerWithin } from '../api/fleet-client.js';
import { subscribeEvents } from '../api/subscribe-events.js';
import type { DaemonEvent, DaemonInfo, LogsResult, PushMessage, StatusResult, TaskStatus } from '../shared/protocol.js';
import type { RunRecord } from '../shared/types.js';

export type ConnectionState = 'connecting' | 'connected' | 'disconnected';

/** One host of a fleet view and how its connection is. */
export interface HostConnection {
  host: string;
  connection: ConnectionState;
  error?: string;
}

/** How the TUI names a task: `host:task` in a fleet view, the task's name otherwise. */
export function taskKey(t: { host?: string | undefined; name: string }): string {
  return t.host === undefined ? t.name : `${t.host}:${t.name}`;
}

export function splitTaskKey(key: string): { host?: string; name: string } {
  const i = key.indexOf(':');
  return i === -1 ? { name: key } : { host: key.slice(0, i), name: key.slice(i + 1) };
}

export interface LogTarget {
  task: string;
  instance?: number;
  run?: string;
}

/**
 * What the TUI needs from a daemon. The socket client implements it (ClientBackend);
 * tests implement it with a fake, so the TUI never depends on where the daemon is.
 * Tasks are named by taskKey(): the name, or `host:name` when the backend is a fleet.
 * Events: 'connection' (ConnectionState), 'task' (TaskStatus), 'removed' (key),
 * 'daemon' (DaemonInfo), 'snapshot' (StatusResult), 'log' ({subscription, text}),
 * 'hosts' (HostConnection[], fleet only).
 */
export interface TuiBackend extends EventEmitter {
  readonly connection: ConnectionState;
  /** Where the daemon is, as the user named it (`ssh://deploy@web1:2222`); undefined: this host. */
  readonly where?: string | undefined;
  /** A fleet host's address and daemon (home, pid), for the detail pane. */
  hostDetail?(host: string): { address?: string; daemon?: DaemonInfo } | undefined;
  /** A fleet's hosts and their connections; undefined for a single daemon. */
  hosts?(): HostConnection[];
  start(): void;
  /** `rolling`: restart the instances one at a time (the roll goes on in the daemon; status shows it). */
  control(verb: 'start' | 'stop' | 'restart' | 'rolling', task: string): Promise<TaskStatus[]>;
  run(task: string): Promise<RunRecord | undefined>;
  kill(task: string, signal: string): Promise<number>;
  history(task: string, limit: number): Promise<RunRecord[]>;
  /** Last lines, and a subscription that pushes 'log' events until unfollow(). */
  follow(target: LogTarget, lines: number): Promise<LogsResult>;
  unfollow(subscription: number): void;
  close(): void;
}

/**
 * What `jobctl top` needs besides the TUI's: a status snapshot to poll (CPU and memory of each
 * instance in it) and the daemon's event feed ('event' events, DaemonEvent). ClientBackend
 * implements it, over the local socket or ssh alike.
 */
export interface TopBackend extends TuiBackend {
  /** Why the last connection attempt failed or the connection dropped. */
  readonly lastError: string | undefined;
  status(): Promise<StatusResult>;
  /** Subscribe the connection to the daemon's events: the last `recent` now, then 'event' pushes (again after a reconnect). */
  watchEvents(recent: number): Promise<DaemonEvent[]>;
}

/** How to reach a daemon: its local socket, or an ssh pipe (see api/client `dial`). */
export type Dialer = () => Promise<JobctlClient>;

/** One daemon over any transport, reconnecting when it goes away and comes back. */
export class ClientBackend extends EventEmitter implements TopBackend {
  private client: JobctlClient | undefined;
  private state: ConnectionState = 'connecting';
  private closed = false;
  private retry: NodeJS.Timeout | undefined;
  private lastErrorText: string | undefined;

  /**
   * `answerMs`: a fleet member's deadline (answerWithin, the rule `fleet status` uses): a host
   * that is reached but does not answer in time is down ("no answer within …") and retried,
   * rather than "connecting" for ever. Unset for one daemon (the TUI of this host).
   */
  constructor(private readonly dial: Dialer, private readonly retryMs = 1000, readonly where?: string, private readonly answerMs?: number) {
    super();
  }

  /** Why the last connection attempt failed or the connection dropped. */
  get lastError(): string | undefined {
    return this.lastErrorText;
  }

  get connection(): ConnectionState {
    return this.state;
  }

  private setState(s: ConnectionState): void {
    if (this.state === s) return;
    this.state = s;
    this.emit('connection', s);
  }

  start(): void {
    void this.connect();
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    let late = false;
    const work = (async () => {
      const c = await this.dial();
      if (this.closed || late) {
        c.close();
        return undefined;
      }
      this.client = c;
      c.on('push', (m: PushMessage) => this.onPush(m));
      c.on('close', () => {
        // A connection given up on (connect() below) is not this backend's any more.
        if (this.client !== c) return;
        this.client = undefined;
        // Why, when the client ended it itself (a ping without an answer: the host hangs).
        this.lastErrorText = c.faulted ? c.closeReason : 'the connection dropped';
        this.setState('disconnected');
        this.schedule();
      });
      await c.call('subscribe', { events: ['state'] });
      return c.call('status', {});
    })();
    try {
      const snap = await (this.answerMs === undefined ? work : answerWithin(work, this.answerMs, () => (late = true)));
      if (snap === undefined) return;
      this.lastErrorText = undefined;
      this.setState('connected');
      this.emit('snapshot', snap);
    } catch (e) {
      work.catch(() => undefined);
      // Reached but silent (or refused): that connection goes, and the host is retried as one that is down.
      const c = this.client;
      this.client = undefined;
      c?.close();
      this.lastErrorText = e instanceof Error ? e.message : String(e);
      this.setState('disconnected');
      this.schedule();
    }
  }

  private schedule(): void {
    if (this.closed || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      void this.connect();
    }, this.retryMs);
  }

  private onPush(m: PushMessage): void {
    switch (m.event) {
      case 'state':
        this.emit('task', m.data);
        break;
      case 'removed':
        this.emit('removed', m.data.name);
        break;
      case 'daemon':
        this.emit('daemon', m.data satisfies DaemonInfo);
        break;
      case 'log':
        this.emit('log', { subscription: m.data.subscription, text: m.data.text, instance: m.data.instance, run: m.data.run });
        break;
      case 'event':
        this.emit('event', m.data satisfies DaemonEvent);
        break;
      case 'log-end':
        this.emit('log-end', m.data.subscription);
        break;
      default:
        break;
    }
  }

  private need(): JobctlClient {
    if (!this.client) throw new Error('not connected to the daemon');
    return this.client;
  }

  async control(verb: 'start' | 'stop' | 'restart' | 'rolling', task: string): Promise<TaskStatus[]> {
    const c = this.need();
    const r = verb === 'stop'
      ? await c.call('stop', { target: task })
      : verb === 'rolling' ? await c.call('restart', { target: task, rolling: true }) : await c.call(verb, { target: task });
    return r.tasks;
  }

  async run(task: string): Promise<RunRecord | undefined> {
    return (await this.need().call('run', { task })).run;
  }

  async kill(task: string, signal: string): Promise<number> {
    return (await this.need().call('kill', { task, signal })).signalled;
  }

  async history(task: string, limit: number): Promise<RunRecord[]> {
    return (await this.need().call('history', { task, limit })).runs;
  }

  status(): Promise<StatusResult> {
    return this.need().call('status', {}, 5000);
  }

  async watchEvents(recent: number): Promise<DaemonEvent[]> {
    return (await subscribeEvents(this.need(), recent)).recent;
  }

  follow(target: LogTarget, lines: number): Promise<LogsResult> {
    return this.need().call('logs', { ...target, lines, follow: true });
  }

  unfollow(subscription: number): void {
    this.client?.call('unsubscribe', { subscription }).catch(() => undefined);
  }

  /** Safe to call twice. */
  close(): void {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    this.client?.close();
    this.client = undefined;
  }
}

export type { StatusResult };
