import { EventEmitter } from 'node:events';
import { render } from 'ink-testing-library';
import { afterEach, expect } from 'vitest';
import type { CronTaskStatus, DaemonInfo, LogsResult, ServiceTaskStatus, StatusResult, TaskStatus } from '../../src/shared/protocol.js';
import type { RunRecord } from '../../src/shared/types.js';
import type { ConnectionState, HostConnection, LogTarget, TuiBackend } from '../../src/tui/backend.js';
import { App } from '../../src/tui/components/App.js';
import { waitFor } from '../helpers/wait.js';

/** A daemon in memory: records what the TUI asked for, and lets the test push states and logs. */
export class FakeBackend extends EventEmitter implements TuiBackend {
  connection: ConnectionState = 'connected';
  /** Set: a backend reached over ssh (the title names it). */
  where?: string;
  /** What `history` answers (oldest first, as the daemon). */
  runs: RunRecord[] = [];
  details = new Map<string, { address?: string; daemon?: DaemonInfo }>();
  calls: string[] = [];
  follows: LogTarget[] = [];
  private sub = 0;
  start(): void {}
  async control(verb: 'start' | 'stop' | 'restart' | 'rolling', task: string): Promise<TaskStatus[]> {
    this.calls.push(`${verb} ${task}`);
    const rolling = verb === 'rolling' ? { rolling: { state: 'running' as const, done: 0, total: 2, startedAt: 1000 } } : {};
    return [{ ...daemonTask(task), state: verb === 'stop' ? 'stopped' : 'running', ...rolling }];
  }
  async run(task: string): Promise<RunRecord | undefined> {
    this.calls.push(`run ${task}`);
    return { id: 'r1', task, scheduledAt: 0, attempt: 1, trigger: 'manual', state: 'running' };
  }
  async kill(task: string, signal: string): Promise<number> {
    this.calls.push(`kill ${task} ${signal}`);
    return 1;
  }
  async history(): Promise<RunRecord[]> {
    return this.runs;
  }
  /** A fleet: its hosts (set in `mount`'s setup to make the backend a fleet). */
  declare hosts?: () => HostConnection[];
  hostDetail(host: string): { address?: string; daemon?: DaemonInfo } | undefined {
    return this.details.get(host);
  }
  /** The lines `follow` answers with, per task; default: one. */
  logLines = new Map<string, string[]>();
  async follow(target: LogTarget): Promise<LogsResult> {
    this.follows.push(target);
    return { lines: this.logLines.get(target.task) ?? [`first line of ${target.task}`], files: [], subscription: ++this.sub };
  }
  unfollow(): void {}
  close(): void {}
  get lastSubscription(): number {
    return this.sub;
  }
  snapshot(tasks: TaskStatus[], daemon: Partial<DaemonInfo> = {}): void {
    const d: DaemonInfo = { pid: 42, version: '0', home: '/srv/jobs', tasksDir: '/srv/jobs/tasks', startedAt: 0, configErrors: [], warnings: [], ...daemon };
    this.emit('snapshot', { daemon: d, tasks } satisfies StatusResult);
  }
}

export function daemonTask(name: string, over: Partial<ServiceTaskStatus> = {}): ServiceTaskStatus {
  return {
    name, group: 'workers', kind: 'service', enabled: true, file: '/srv/jobs/tasks/workers.yaml', state: 'running', desired: 'running',
    restarts: 0, running: 2, cpu: 1.5, rss: 5 * 1024 * 1024,
    instances: [
      { index: 0, state: 'running', since: 0, pid: 100, startedAt: Date.now() - 60_000, restarts: 0 },
      { index: 1, state: 'running', since: 0, pid: 101, startedAt: Date.now() - 60_000, restarts: 0 },
    ],
    ...over,
  };
}

export function cronTask(name: string, over: Partial<CronTaskStatus> = {}): CronTaskStatus {
  return {
    name, group: 'reports', kind: 'cron', enabled: true, file: '/srv/jobs/tasks/reports.yaml', state: 'scheduled', desired: 'running',
    restarts: 0, schedule: '0 3 * * *', nextRunAt: Date.now() + 3_600_000,
    lastRun: { id: 'x', task: name, scheduledAt: 0, startedAt: Date.now() - 5000, endedAt: Date.now() - 4000, attempt: 1, trigger: 'schedule', state: 'failed', exitCode: 2 },
    ...over,
  };
}

export const tick = (ms = 40) => new Promise((r) => setTimeout(r, ms));
/** Retry an assertion until it holds (renders and effects are asynchronous). */
export async function eventually(assertion: () => void, timeoutMs = 3000): Promise<void> {
  let last: unknown;
  await waitFor(() => {
    try {
      assertion();
      return true;
    } catch (e) {
      last = e;
      return false;
    }
  }, timeoutMs, 'assertion').catch(() => {
    throw last;
  });
}
export const mounted: Array<{ unmount: () => void }> = [];
afterEach(() => mounted.splice(0).forEach((m) => m.unmount()));

export async function mount(tasks: TaskStatus[], daemon: Partial<DaemonInfo> = {}, setup: (b: FakeBackend) => void = () => undefined) {
  const backend = new FakeBackend();
  setup(backend);
  const app = render(<App backend={backend} flushMs={5} />);
  mounted.push(app);
  backend.snapshot(tasks, daemon);
  const frame = () => app.lastFrame() ?? '';
  await eventually(() => expect(frame()).toContain(tasks[0]?.name ?? 'no tasks'));
  await eventually(() => expect(backend.follows.length).toBeGreaterThan(0));
  return { backend, app, frame };
}

