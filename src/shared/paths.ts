import path from 'node:path';

/**
 * Every path under a home, in one place. Task names must be validated before use here.
 * `stateDir`: where state/ is reached (the daemon may pin it as `/proc/self/fd/N`).
 */
export function homePaths(home: string, stateDir?: string) {
  const state = stateDir ?? path.join(home, 'state');
  const logs = path.join(state, 'logs');
  return {
    home,
    tasks: path.join(home, 'tasks'),
    state,
    socket: path.join(state, 'jobctl.sock'),
    pidFile: path.join(state, 'jobctl.pid'),
    db: path.join(state, 'db.json'),
    /** Child records, appended as children start and end (a journal). */
    children: path.join(state, 'children.jsonl'),
    /** Run history: one JSON-lines file per cron task. */
    runs: path.join(state, 'runs'),
    daemonLog: path.join(state, 'daemon.log'),
    /** Control calls: who, from where, what, how it ended (docs/access.md). */
    audit: path.join(state, 'audit.jsonl'),
    logs,
    instanceLog: (task: string, instance: number) => path.join(logs, task, `${instance}.log`),
    runLog: (task: string, runId: string) => path.join(logs, task, 'runs', `${runId}.log`),
    runLogDir: (task: string) => path.join(logs, task, 'runs'),
  };
}
export type HomePaths = ReturnType<typeof homePaths>;

/** How to show a path to the user: relative to cwd when inside it. */
export function displayPath(p: string, cwd = process.cwd()): string {
  const rel = path.relative(cwd, p);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : p;
}
