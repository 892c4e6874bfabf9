import { EventEmitter } from 'node:events';
import { cronFacts, serviceFacts } from '../../src/core/dependency-facts.js';
import type { DependencyFacts } from '../../src/core/start-order.js';
import type { Capabilities, KindDetails, LogQuery, LogSelection, RunOptions, TaskRunner } from '../../src/runtime/task-runner.js';
import { specStatusBase } from '../../src/runtime/runner-common.js';
import type { TaskStatus } from '../../src/shared/protocol.js';
import type { CronTaskSpec, RunRecord, ServiceTaskSpec, TaskSpec } from '../../src/shared/types.js';

/**
 * A runner that records what it is asked, for registry and handler tests. Its capabilities
 * are those of the real runner of its spec's kind (cron: runs, history; daemon: instances),
 * without rolling (a test adds `can.rolling` when it needs it).
 */
export class FakeRunner extends EventEmitter implements TaskRunner {
  calls: string[] = [];
  desired: 'running' | 'stopped' = 'stopped';
  /** What update() answers (false: the registry must make a fresh runner). */
  acceptUpdate = true;
  live = 1;
  disposed = 0;
  readonly noun: string;
  readonly can: Capabilities;
  constructor(public spec: TaskSpec) {
    super();
    this.noun = spec.kind === 'cron' ? 'a cron task' : 'a service task';
    const me = this;
    this.can = spec.kind === 'cron'
      ? {
        runs: { get spec() { return me.spec as CronTaskSpec; }, run: async (o) => (await this.run(o))!, stopRun: () => false, get taking() { return me.desired === 'running'; } },
        history: { list: (limit) => this.history(limit) },
      }
      : {
        instances: {
          get spec() { return me.spec as ServiceTaskSpec; }, count: 1, get desired() { return me.desired; },
          setCount: async () => undefined, whenSteady: async () => undefined,
        },
      };
  }
  get name(): string {
    return this.spec.name;
  }
  get kind() {
    return this.spec.kind;
  }
  async start() {
    this.calls.push('start');
    this.desired = 'running';
  }
  async stop() {
    this.calls.push('stop');
    this.desired = 'stopped';
  }
  async restart() {
    this.calls.push('restart');
    this.desired = 'running';
  }
  signal(sig: NodeJS.Signals) {
    this.calls.push(`signal ${sig}`);
    return this.desired === 'running' ? this.live : 0;
  }
  async run(o?: RunOptions) {
    this.calls.push(`run ${JSON.stringify(o ?? {})}`);
    return this.spec.kind === 'cron' ? ({ id: 'r1', task: this.name, scheduledAt: 0, attempt: 1, trigger: o?.trigger ?? 'manual', state: 'running' } satisfies RunRecord) : undefined;
  }
  /** As the real runner of its kind answers. */
  dependencyFacts(waiting?: string): DependencyFacts {
    const s = { ...this.status(), ...(waiting === undefined ? {} : { desired: 'running' as const, waiting }) };
    return s.kind === 'cron' ? cronFacts(s) : serviceFacts(s);
  }

  details(readFrom: readonly string[]): KindDetails {
    return { logFiles: [...readFrom] };
  }

  status(): TaskStatus {
    const base = { ...specStatusBase(this.spec), state: this.desired, desired: this.desired, restarts: 0 };
    return base.kind === 'cron' ? { ...base, kind: base.kind } : { ...base, kind: base.kind };
  }
  async update(spec: TaskSpec, keys: readonly string[]) {
    this.calls.push(`update ${keys.join(',')}`);
    if (!this.acceptUpdate) return false;
    this.spec = spec;
    return true;
  }
  history(limit?: number): RunRecord[] {
    this.calls.push(`history ${limit}`);
    return [];
  }
  logs(q: LogQuery): LogSelection {
    this.calls.push(`logs ${JSON.stringify(q)}`);
    return { read: () => [{ lines: ['a line'], files: ['f'] }], follow: () => () => undefined };
  }
  async dispose() {
    this.calls.push('dispose');
    this.disposed++;
  }
}
