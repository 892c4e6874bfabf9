import type { DependencyFacts } from './start-order.js';
import type { CronTaskStatus, ServiceTaskStatus } from '../shared/protocol.js';
import { taskHealthText } from '../shared/format.js';

/*
 * What a task has reached, for the tasks that depend on it (`depends_on`), read from the
 * same status `jobctl status` shows. Each runner answers with its own function
 * (`TaskRunner.dependencyFacts`); `waiting` is set while the task is held for its own
 * dependencies.
 */

/** A cron task: started when scheduled; completed when its last run succeeded; never healthy. */
export function cronFacts(t: CronTaskStatus): DependencyFacts {
  const last = t.lastRun;
  const completed = last?.state === 'succeeded';
  // Waiting for its own dependencies, it is desired running but not scheduled yet.
  const started = t.desired === 'running' && t.enabled && t.waiting === undefined;
  const summary = t.waiting ? 'waiting for its own dependencies' : last ? `last run ${last.state}` : started ? 'no run yet' : t.state;
  return { started, healthy: false, completed, summary: completed ? 'succeeded' : summary };
}

/**
 * A service task: started with an instance starting or running; healthy when every instance
 * runs and passes its health check; completed when every instance exited with code 0.
 */
export function serviceFacts(t: ServiceTaskStatus): DependencyFacts {
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
