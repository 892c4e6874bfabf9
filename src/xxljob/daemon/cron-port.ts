import type { HandlerTask, XxlRunOptions } from '../core/trigger.js';
import { errorMessage } from '../../shared/errors.js';
import type { HomePaths } from '../../shared/paths.js';
import type { RunRecord } from '../../shared/types.js';
import type { TaskRegistry } from '../../daemon/registry.js';
import { FINISHED_STATES, XXL_TRIGGERED_BY, type XxlRunPort } from './run-port.js';

/**
 * The run port over the registry's cron runners: an admin's trigger is a cron run with
 * per-run options (trigger `xxljob`, its overlap, timeout, env, arguments), tagged with the
 * admin's logId. It is never retried here: the admin retries its own triggers (its "fail
 * retry count"), so a second layer would run a failed job twice as often as the admin says.
 */
export function cronRunPort(registry: TaskRegistry, paths: Pick<HomePaths, 'runLog'>): XxlRunPort {
  const runs = (task: string) => registry.capable(task, 'runs');
  const xxlTasks = () => registry.names().flatMap((n) => {
    const spec = runs(n)?.spec;
    return spec?.xxljob ? [spec] : [];
  });
  return {
    handlerTasks: (): HandlerTask[] => xxlTasks().map((s) => ({ task: s.name, handler: s.xxljob!.handler, glue: s.xxljob!.glue, enabled: s.enabled })),
    trigger: async (task: string, o: XxlRunOptions) => {
      if (!runs(task)) return `task "${task}" is not a cron task on this executor`;
      try {
        return await registry.run(task, {
          trigger: 'xxljob', triggeredBy: XXL_TRIGGERED_BY, tag: String(o.tag.logId), overlap: o.overlap, env: o.env, args: o.args, retries: 0,
          ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
          ...(o.command ? { command: o.command } : {}),
        }) ?? `task "${task}" made no run`;
      } catch (e) {
        return errorMessage(e);
      }
    },
    kill: (task, runId, reason) => {
      runs(task)?.stopRun(runId, reason);
    },
    refuses: (task) => {
      if (registry.closing) return 'the jobctl daemon is stopping';
      const r = runs(task);
      if (!r) return registry.has(task) ? `task "${task}" is not a cron task on this executor` : `task "${task}" is no longer on this executor (removed from the config)`;
      return !r.taking ? `the task was stopped (\`jobctl start ${task}\` takes triggers again)` : undefined;
    },
    onRunEnd: (cb) => {
      const fn = (r: RunRecord) => {
        if (FINISHED_STATES.has(r.state)) cb(r);
      };
      registry.on('run', fn);
      return () => registry.off('run', fn);
    },
    findRun: (logId) => {
      const tag = String(logId);
      for (const s of xxlTasks()) {
        const found = registry.capable(s.name, 'history')?.list().findLast((r) => r.trigger === 'xxljob' && r.tag === tag);
        if (found) return found;
      }
      return undefined;
    },
    runLog: (task, runId) => paths.runLog(task, runId),
  };
}
