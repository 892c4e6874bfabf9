import type { CrossFileCheck, CrossFileProblem, PlacedTask } from '../../config/cross-file-check.js';

/**
 * The task directory's xxl-job rules (run by the loader, config/load.ts): handler names say
 * which task an admin's job runs, so one task per name; the admin sends GLUE jobs without a
 * handler (its form clears and locks JobHandler for them), so they go to one task: the one
 * with `glue: true`.
 */
export const xxlTaskChecks: CrossFileCheck = (tasks) => {
  const out: CrossFileProblem[] = [];
  const handlerAt = new Map<string, { task: PlacedTask; line: number }>();
  let glueAt: { task: PlacedTask; line: number } | undefined;
  for (const task of tasks) {
    const xxl = 'xxljob' in task.spec ? task.spec.xxljob : undefined;
    if (!xxl) continue;
    const first = handlerAt.get(xxl.handler);
    if (!first) handlerAt.set(xxl.handler, { task, line: task.lineOf(['xxljob', 'handler']) });
    else out.push({ task, keyPath: ['xxljob', 'handler'], message: `xxljob.handler "${xxl.handler}" is already the handler of task "${first.task.spec.name}" (${first.task.file}:${first.line}); each handler names one task` });
  }
  for (const task of tasks) {
    const xxl = 'xxljob' in task.spec ? task.spec.xxljob : undefined;
    if (!xxl?.glue) continue;
    if (!glueAt) glueAt = { task, line: task.lineOf(['xxljob', 'glue']) };
    else out.push({ task, keyPath: ['xxljob', 'glue'], message: `xxljob.glue: task "${glueAt.task.spec.name}" (${glueAt.task.file}:${glueAt.line}) already runs the GLUE jobs; the admin sends them without a handler name, so one task per host runs them all` });
  }
  return out;
};
