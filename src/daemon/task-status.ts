import type { CronTask } from '../runtime/cron-task.js';
import type { DaemonTask } from '../runtime/daemon-task.js';
import type { InstanceInfo, ScaleInfo, TaskStatus } from '../shared/protocol.js';
import type { InstanceState, TaskSpec } from '../shared/types.js';

/** How a daemon task's instances sum up, most telling first. */
const PRIORITY: InstanceState[] = ['fatal', 'backoff', 'starting', 'stopping', 'running', 'exited', 'stopped'];

export function summarizeInstances(instances: InstanceInfo[]): string {
  if (instances.length === 0) return 'stopped';
  for (const s of PRIORITY) if (instances.some((i) => i.state === s)) return s;
  return 'stopped';
}

function base(spec: TaskSpec): Pick<TaskStatus, 'name' | 'group' | 'kind' | 'enabled' | 'file'> & { description?: string } {
  return {
    name: spec.name, group: spec.group, kind: spec.kind, enabled: spec.enabled, file: spec.source.file,
    ...(spec.description !== undefined ? { description: spec.description } : {}),
  };
}

export function daemonTaskStatus(task: DaemonTask, scale?: ScaleInfo): TaskStatus {
  const spec = task.taskSpec;
  const s = task.status();
  const instances: InstanceInfo[] = s.instances.map((i) => ({ ...i }));
  const sum = (k: 'cpu' | 'rss') => {
    const vals = instances.map((i) => i[k]).filter((v): v is number => v !== undefined);
    return vals.length ? vals.reduce((a, b) => a + b, 0) : undefined;
  };
  const cpu = sum('cpu');
  const rss = sum('rss');
  return {
    ...base(spec),
    state: spec.enabled ? summarizeInstances(instances) : 'disabled',
    desired: s.desired,
    restarts: instances.reduce((a, i) => a + i.restarts, 0),
    instances,
    running: instances.filter((i) => i.state === 'running').length,
    ...(cpu !== undefined ? { cpu: Math.round(cpu * 10) / 10 } : {}),
    ...(rss !== undefined ? { rss } : {}),
    ...(scale ? { scale } : {}),
    ...(task.rollingStatus() ? { rolling: task.rollingStatus()! } : {}),
  };
}

export function cronTaskStatus(task: CronTask, scheduled: boolean, nextRunAt: number | undefined): TaskStatus {
  const spec = task.taskSpec;
  const active = task.runningRuns();
  const last = task.lastRun();
  const state = !spec.enabled ? 'disabled' : active.length ? 'running' : scheduled ? 'scheduled' : 'stopped';
  return {
    ...base(spec),
    state,
    desired: scheduled ? 'running' : 'stopped',
    restarts: task.retryCount(),
    schedule: spec.schedule,
    ...(spec.timezone ? { timezone: spec.timezone } : {}),
    ...(scheduled && nextRunAt !== undefined ? { nextRunAt } : {}),
    ...(last ? { lastRun: last } : {}),
    ...(active.length ? { activeRuns: active } : {}),
  };
}
