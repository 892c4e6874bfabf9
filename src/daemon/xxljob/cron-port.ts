import type { HandlerTask, XxlRunOptions } from '../../core/xxljob/trigger.js';
import type { HomePaths } from '../../shared/paths.js';
import type { RunRecord } from '../../shared/types.js';
import type { TaskRegistry } from '../registry.js';
import { FINISHED_STATES, type XxlRunPort } from './run-port.js';

/** The run port over the task registry's cron runners. */
export function cronRunPort(registry: TaskRegistry, paths: Pick<HomePaths, 'runLog'>): XxlRunPort {
  const xxlTasks = () => registry.specs().flatMap((s) => (s.kind === 'cron' && s.xxljob ? [s] : []));
  return {
    handlerTasks: (): HandlerTask[] => xxlTasks().map((s) => ({ task: s.name, handler: s.xxljob!.handler, glue: s.xxljob!.glue, enabled: s.enabled })),
    trigger: (task: string, o: XxlRunOptions) => {
      const cron = registry.cronTask(task);
      if (!cron) return `task "${task}" is not loaded on this executor`;
      if (cron.isStopped) return `task "${task}" is stopped on this executor (jobctl stop); start it with \`jobctl start ${task}\``;
      const r = cron.trigger('xxljob', {
        overlap: o.overlap, env: o.env, args: o.args, xxljob: o.tag,
        ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
        ...(o.command ? { command: o.command } : {}),
      });
      registry.touch(task);
      return r;
    },
    kill: (task, runId, reason) => {
      registry.cronTask(task)?.cancel(runId, reason);
    },
    isBusy: (task) => registry.cronTask(task)?.busy ?? false,
    onRunEnd: (cb) => {
      const fn = (r: RunRecord) => {
        if (FINISHED_STATES.has(r.state)) cb(r);
      };
      registry.on('run', fn);
      return () => registry.off('run', fn);
    },
    findRun: (logId) => {
      for (const s of xxlTasks()) {
        const cron = registry.cronTask(s.name);
        const found = cron?.history().findLast((r) => r.xxljob?.logId === logId);
        if (found) return found;
      }
      return undefined;
    },
    runLog: (task, runId) => paths.runLog(task, runId),
  };
}
