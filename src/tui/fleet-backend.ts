import { EventEmitter } from 'node:events';
import type { DaemonInfo, LogsResult, StatusResult, TaskStatus } from '../shared/protocol.js';
import type { RunRecord } from '../shared/types.js';
import { FleetAggregate } from '../view/fleet-aggregate.js';
import { ClientBackend, splitTaskKey, taskKey, type ConnectionState, type Dialer, type HostConnection, type LogTarget, type TuiBackend } from './backend.js';

export interface FleetBackendHost {
  name: string;
  dial: Dialer;
  /** How the inventory reaches it (`ssh://deploy@web1/srv/jobs`), for the detail pane. */
  address?: string;
}

/**
 * Many daemons as one TuiBackend (`jobctl tui --fleet`): one reconnecting ClientBackend per
 * host, their tasks merged with `host` set, keyed `host:task`. Log subscriptions get ids of
 * their own, since two hosts may hand out the same number.
 */
export class FleetBackend extends EventEmitter implements TuiBackend {
  private readonly members = new Map<string, ClientBackend>();
  /** The hosts' answers merged (the aggregator `fleet status` uses too). */
  private readonly fleet: FleetAggregate;
  private readonly addresses = new Map<string, string>();
  private readonly subs = new Map<number, { host: string; remote: number }>();
  private readonly subsByRemote = new Map<string, number>();
  private nextSub = 1;
  private state: ConnectionState = 'connecting';

  /** `answerMs`: each host's deadline to be reached and answer (the fleet's `timeout`, as `fleet status`). */
  constructor(hosts: readonly FleetBackendHost[], retryMs = 2000, answerMs?: number) {
    super();
    this.fleet = new FleetAggregate(hosts.map((h) => h.name));
    for (const h of hosts) {
      const b = new ClientBackend(h.dial, retryMs, undefined, answerMs);
      if (h.address !== undefined) this.addresses.set(h.name, h.address);
      this.members.set(h.name, b);
      b.on('snapshot', (s: StatusResult) => {
        this.fleet.answered(h.name, s);
        this.emit('snapshot', this.fleet.snapshot());
      });
      b.on('task', (t: TaskStatus) => {
        this.emit('task', this.fleet.task(h.name, t));
      });
      b.on('removed', (name: string) => {
        this.fleet.removed(h.name, name);
        this.emit('removed', taskKey({ host: h.name, name }));
      });
      b.on('daemon', (d: DaemonInfo) => {
        this.fleet.daemonChanged(h.name, d);
        this.emit('daemon', this.fleet.daemonInfo());
      });
      b.on('connection', (c: ConnectionState) => {
        if (c !== 'connected') {
          // A host that went away takes its tasks off the list until it is back.
          this.fleet.down(h.name, b.lastError);
          this.emit('snapshot', this.fleet.snapshot());
        }
        this.updateState();
        this.emit('hosts', this.hosts());
      });
      b.on('log', (m: { subscription: number; text: string }) => {
        const local = this.subsByRemote.get(`${h.name}\u0000${m.subscription}`);
        if (local !== undefined) this.emit('log', { ...m, subscription: local });
      });
      b.on('log-end', (remote: number) => {
        const local = this.subsByRemote.get(`${h.name}\u0000${remote}`);
        if (local !== undefined) this.emit('log-end', local);
      });
    }
  }

  get connection(): ConnectionState {
    return this.state;
  }

  /** Each host's connection, and why it is down. */
  hosts(): HostConnection[] {
    return [...this.members].map(([host, b]) => ({ host, connection: b.connection, ...(b.lastError ? { error: b.lastError } : {}) }));
  }

  /** A host's address and its daemon's home and pid (the far ones). */
  hostDetail(host: string): { address?: string; daemon?: DaemonInfo } | undefined {
    if (!this.members.has(host)) return undefined;
    const address = this.addresses.get(host);
    const daemon = this.fleet.daemon(host);
    return { ...(address !== undefined ? { address } : {}), ...(daemon ? { daemon } : {}) };
  }

  private updateState(): void {
    const states = [...this.members.values()].map((b) => b.connection);
    const s: ConnectionState = states.includes('connected') ? 'connected' : states.includes('connecting') ? 'connecting' : 'disconnected';
    if (s === this.state) return;
    this.state = s;
    this.emit('connection', s);
  }

  start(): void {
    for (const b of this.members.values()) b.start();
  }

  private member(key: string): { backend: ClientBackend; host: string; name: string } {
    const { host, name } = splitTaskKey(key);
    const backend = host === undefined ? undefined : this.members.get(host);
    if (!backend || host === undefined) throw new Error(`no host for task "${key}"`);
    return { backend, host, name };
  }

  async control(verb: 'start' | 'stop' | 'restart', key: string): Promise<TaskStatus[]> {
    const m = this.member(key);
    return (await m.backend.control(verb, m.name)).map((t) => ({ ...t, host: m.host }));
  }

  run(key: string): Promise<RunRecord | undefined> {
    const m = this.member(key);
    return m.backend.run(m.name);
  }

  kill(key: string, signal: string): Promise<number> {
    const m = this.member(key);
    return m.backend.kill(m.name, signal);
  }

  history(key: string, limit: number): Promise<RunRecord[]> {
    const m = this.member(key);
    return m.backend.history(m.name, limit);
  }

  async follow(target: LogTarget, lines: number): Promise<LogsResult> {
    const m = this.member(target.task);
    const r = await m.backend.follow({ ...target, task: m.name }, lines);
    if (r.subscription === undefined) return r;
    const local = this.nextSub++;
    this.subs.set(local, { host: m.host, remote: r.subscription });
    this.subsByRemote.set(`${m.host}\u0000${r.subscription}`, local);
    return { ...r, subscription: local };
  }

  unfollow(subscription: number): void {
    const s = this.subs.get(subscription);
    if (!s) return;
    this.subs.delete(subscription);
    this.subsByRemote.delete(`${s.host}\u0000${s.remote}`);
    this.members.get(s.host)?.unfollow(s.remote);
  }

  /** Safe to call twice. */
  close(): void {
    for (const b of this.members.values()) b.close();
  }
}
