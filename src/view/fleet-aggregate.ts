import type { DaemonInfo, StatusResult, TaskStatus } from '../shared/protocol.js';
import type { ConfigIssue } from '../shared/types.js';

/** One host as the fleet last heard it: answered (its daemon), or down and why. */
export type FleetHostState =
  | { host: string; answered: true; daemon: DaemonInfo; taskCount: number }
  | { host: string; answered: false; error?: string };

/**
 * The one place many hosts' answers become one view (`fleet status`, `tui --fleet`, and the
 * web hub through the fleet backend): each host's tasks with `host` set, each host answered or
 * down (and why), and the config errors and warnings named by host. A host's answer replaces
 * all it said before, so a task removed while the host was away does not come back with it.
 * Pure: no timers; the timeout rule is the fleet's (answerWithin in api/fleet-client).
 */
export class FleetAggregate {
  private readonly tasksOf = new Map<string, Map<string, TaskStatus>>();
  private readonly daemons = new Map<string, DaemonInfo>();
  private readonly errors = new Map<string, string>();

  constructor(private readonly order: readonly string[]) {
    for (const h of order) this.tasksOf.set(h, new Map());
  }

  /** A host's full answer (a `status`): it replaces what the host said before. */
  answered(host: string, s: StatusResult): void {
    this.tasksOf.set(host, new Map(s.tasks.map((t) => [t.name, { ...t, host }])));
    this.daemons.set(host, s.daemon);
    this.errors.delete(host);
  }

  /** A host that is not reached, or went away: its tasks leave the view until it answers again. */
  down(host: string, error?: string): void {
    this.tasksOf.set(host, new Map());
    this.daemons.delete(host);
    if (error === undefined) this.errors.delete(host);
    else this.errors.set(host, error);
  }

  /** A task's new state pushed by a host that answered; the task with `host` set. */
  task(host: string, t: TaskStatus): TaskStatus {
    const withHost = { ...t, host };
    this.tasksOf.get(host)?.set(t.name, withHost);
    return withHost;
  }

  removed(host: string, name: string): void {
    this.tasksOf.get(host)?.delete(name);
  }

  daemonChanged(host: string, d: DaemonInfo): void {
    this.daemons.set(host, d);
  }

  daemon(host: string): DaemonInfo | undefined {
    return this.daemons.get(host);
  }

  /** Every answering host's tasks, hosts in inventory order. */
  tasks(): TaskStatus[] {
    return this.order.flatMap((h) => [...(this.tasksOf.get(h)?.values() ?? [])]);
  }

  hosts(): FleetHostState[] {
    return this.order.map((host): FleetHostState => {
      const daemon = this.daemons.get(host);
      if (daemon) return { host, answered: true, daemon, taskCount: this.tasksOf.get(host)?.size ?? 0 };
      const error = this.errors.get(host);
      return { host, answered: false, ...(error !== undefined ? { error } : {}) };
    });
  }

  /** Config errors of every answering host, each with its host. */
  configErrors(): Array<{ host: string; issue: ConfigIssue }> {
    return this.order.flatMap((host) => (this.daemons.get(host)?.configErrors ?? []).map((issue) => ({ host, issue })));
  }

  /**
   * The fleet as one daemon (the TUI header): no one pid or home — each host has its own — so
   * home says how many answer; config errors and warnings are named by host.
   */
  daemonInfo(): DaemonInfo {
    const all = this.order.flatMap((h) => {
      const d = this.daemons.get(h);
      return d ? [[h, d] as const] : [];
    });
    const home = `${all.length}/${this.order.length} hosts`;
    const first = all[0]?.[1];
    if (!first) return { pid: 0, version: '', home, tasksDir: '', startedAt: 0, configErrors: [], warnings: [] };
    return {
      ...first,
      pid: 0,
      home,
      configErrors: all.flatMap(([host, d]) => d.configErrors.map((e) => ({ ...e, file: `${host}:${e.file}` }))),
      warnings: all.flatMap(([host, d]) => d.warnings.map((w) => `${host}: ${w}`)),
    };
  }

  /** What the fleet view shows now, as one daemon's answer. */
  snapshot(): StatusResult {
    return { daemon: this.daemonInfo(), tasks: this.tasks() };
  }
}
