import type { StatusResult, TaskStatus } from '../shared/protocol.js';
import { taskKey, type HostConnection, type TuiBackend } from '../tui/backend.js';
import { taskEvents } from '../tui/top/task-events.js';
import type { HostEvent, HostLinks } from './host-links.js';
import { effectiveRole, mayControl } from './rights.js';
import type { EventView, HostView, Snapshot, StreamMessage, WebTask } from './wire.js';

export interface HubHost {
  name: string;
  address: string;
  labels: readonly string[];
}

export interface HubOptions {
  /** The fleet TUI's backend (one host is a fleet of one): tasks keyed `host:task`. */
  backend: TuiBackend;
  links: HostLinks;
  hosts: readonly HubHost[];
  mode: Snapshot['mode'];
  title: string;
  readOnly: boolean;
  /** Task changes within this window go out as one message. @default 100 */
  batchMs?: number;
  /** Events kept for a page that opens later. @default 300 */
  keepEvents?: number;
  now?: () => number;
}

type Listener = (m: StreamMessage) => void;

/** A state change that is a failure: shown in red. */
const ERROR_EVENT = /fatal|killed by|exited with code [1-9]|run (failed|timed-out|killed)/;

/**
 * The state every page shows, kept once on the server: the tasks of every host (from the
 * backend's snapshots and pushes), each host's connection and rights, and the recent events.
 * Pages subscribe and get a snapshot, then changes: task updates are batched (a burst of
 * state pushes from 1,000 tasks is one message), hosts and events go out as they come.
 */
export class WebHub {
  private readonly tasks = new Map<string, WebTask>();
  private readonly events: EventView[] = [];
  private readonly listeners = new Set<Listener>();
  private readonly changed = new Set<string>();
  private readonly removed = new Set<string>();
  private flushTimer: NodeJS.Timeout | undefined;
  private nextEventId = 1;
  private readonly now: () => number;

  constructor(private readonly opts: HubOptions) {
    this.now = opts.now ?? Date.now;
    const b = opts.backend;
    b.on('snapshot', (s: StatusResult) => this.onSnapshot(s.tasks));
    b.on('task', (t: TaskStatus) => this.onTask(t));
    b.on('removed', (key: string) => this.onRemoved(key));
    b.on('hosts', () => this.broadcast({ type: 'hosts', data: this.hosts() }));
    opts.links.on('identity', () => this.broadcast({ type: 'hosts', data: this.hosts() }));
    opts.links.on('event', (ev: HostEvent) => this.addEvent(ev));
  }

  get readOnly(): boolean {
    return this.opts.readOnly;
  }

  /** Every host, with its connection (and why it is down) and what its connection may do. */
  hosts(): HostView[] {
    const conns = new Map<string, HostConnection>((this.opts.backend.hosts?.() ?? []).map((h) => [h.host, h]));
    return this.opts.hosts.map((h) => {
      const c = conns.get(h.name);
      const id = this.opts.links.identity(h.name);
      const role = effectiveRole(id, this.opts.readOnly);
      return {
        name: h.name,
        address: h.address,
        connection: c?.connection ?? 'connecting',
        ...(c?.error && c.connection !== 'connected' ? { error: c.error } : {}),
        operator: id.operator,
        role,
        canControl: this.opts.links.known(h.name) && mayControl(role),
        labels: [...h.labels],
      };
    });
  }

  host(name: string): HostView | undefined {
    return this.hosts().find((h) => h.name === name);
  }

  snapshot(): Snapshot {
    return {
      mode: this.opts.mode,
      title: this.opts.title,
      readOnly: this.opts.readOnly,
      hosts: this.hosts(),
      tasks: [...this.tasks.values()],
      events: [...this.events],
      now: this.now(),
    };
  }

  task(key: string): WebTask | undefined {
    return this.tasks.get(key);
  }

  /** A page's stream: the snapshot now, then every change until the returned function is called. */
  subscribe(listener: Listener): () => void {
    listener({ type: 'snapshot', data: this.snapshot() });
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stop the batch timer (the server is closing). */
  close(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.listeners.clear();
  }

  private web(t: TaskStatus): WebTask {
    const host = t.host ?? this.opts.hosts[0]?.name ?? 'local';
    return { ...t, host, key: taskKey({ host, name: t.name }) };
  }

  private onSnapshot(list: TaskStatus[]): void {
    const next = new Map(list.map((t) => {
      const w = this.web(t);
      return [w.key, w];
    }));
    for (const key of this.tasks.keys()) if (!next.has(key)) this.markRemoved(key);
    for (const t of next.values()) this.onTask(t);
  }

  private onTask(status: TaskStatus): void {
    const t = this.web(status);
    const prev = this.tasks.get(t.key);
    this.tasks.set(t.key, t);
    this.removed.delete(t.key);
    this.changed.add(t.key);
    // Instance exits, restarts, fatal; cron runs that ended; starts and stops by request (the TUI's `top` reads the same).
    // An exit asked for (a stop) is not a failure.
    const asked = t.kind === 'service' && t.desired === 'stopped';
    for (const message of taskEvents(prev, t)) this.addEvent({ host: t.host, at: this.now(), level: !asked && ERROR_EVENT.test(message) ? 'error' : 'info', task: t.name, message });
    this.schedule();
  }

  private onRemoved(key: string): void {
    this.markRemoved(key);
    this.schedule();
  }

  private markRemoved(key: string): void {
    if (!this.tasks.delete(key)) return;
    this.changed.delete(key);
    this.removed.add(key);
  }

  private schedule(): void {
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => this.flush(), this.opts.batchMs ?? 100);
    this.flushTimer.unref();
  }

  private flush(): void {
    this.flushTimer = undefined;
    const tasks = [...this.changed].map((k) => this.tasks.get(k)).filter((t): t is WebTask => t !== undefined);
    const removed = [...this.removed];
    this.changed.clear();
    this.removed.clear();
    if (tasks.length || removed.length) this.broadcast({ type: 'tasks', data: { tasks, removed } });
  }

  private addEvent(ev: Omit<EventView, 'id'>): void {
    const e: EventView = { id: this.nextEventId++, ...ev };
    this.events.push(e);
    if (this.events.length > (this.opts.keepEvents ?? 300)) this.events.shift();
    this.broadcast({ type: 'event', data: e });
  }

  private broadcast(m: StreamMessage): void {
    for (const l of this.listeners) l(m);
  }
}
