import type { DependencyFacts } from '../core/start-order.js';
import type { TaskStatus } from '../shared/protocol.js';
import { taskHealthText } from '../shared/format.js';

/**
 * What a task has reached, for the tasks that depend on it (`depends_on`), read from the
 * same status `jobctl status` shows:
 * - started: a service task with an instance starting or running; a cron task that is scheduled;
 * - healthy: every instance of a service task running and passing its health check;
 * - completed: every instance of a service task exited with code 0; a cron task's last run succeeded.
 */
export function dependencyFacts(t: TaskStatus): DependencyFacts {
  if (t.kind === 'cron') {
    const last = t.lastRun;
    const completed = last?.state === 'succeeded';
    // Waiting for its own dependencies, it is desired running but not scheduled yet.
    const started = t.desired === 'running' && t.enabled && t.waiting === undefined;
    const summary = t.waiting ? 'waiting for its own dependencies' : last ? `last run ${last.state}` : started ? 'no run yet' : t.state;
    return { started, healthy: false, completed, summary: completed ? 'succeeded' : summary };
  }
  const instances = t.instances ?? [];
  const started = instances.some((i) => i.state === 'starting' || i.state === 'running');
  const healthy = instances.length > 0 && instances.every((i) => i.state === 'running' && i.health?.state === 'healthy');
  const completed = instances.length > 0 && instances.every((i) => i.state === 'exited' && i.lastExit?.code === 0);
  let summary: string;
  if (t.waiting) summary = 'waiting for its own dependencies';
  else if (completed) summary = 'completed';
  else if (instances.some((i) => i.state === 'exited' && i.lastExit && i.lastExit.code !== 0)) summary = 'exited with an error';
  else if (started) summary = taskHealthText(instances) ?? t.state;
  else summary = t.state;
  return { started, healthy, completed, summary };
}
