import { EventEmitter } from 'node:events';
import type { LogQuery, LogSelection, RunOptions, TaskRunner } from '../../src/runtime/task-runner.js';
import { specStatusBase } from '../../src/runtime/runner-common.js';
import type { TaskStatus } from '../../src/shared/protocol.js';
import type { RunRecord, TaskSpec } from '../../src/shared/types.js';

/** A runner that records what it is asked, for registry and handler tests. */
export class FakeRunner extends EventEmitter implements TaskRunner {
  calls: string[] = [];
  desired: 'running' | 'stopped' = 'stopped';
  /** What update() answers (false: the registry must make a fresh runner). */
  acceptUpdate = true;
  live = 1;
  disposed = 0;
  constructor(public spec: TaskSpec) {
    super();
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
  status(): TaskStatus {
    const base = { ...specStatusBase(this.spec), state: this.desired, desired: this.desired, restarts: 0 };
    return base.kind === 'cron' ? { ...base, kind: base.kind } : { ...base, kind: base.kind };
  }
  async settled() {}
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
