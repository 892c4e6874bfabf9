import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobctlClient } from '../../src/api/client.js';
import type { TaskStatus } from '../../src/shared/protocol.js';
import { cleanupDaemons, makeHome, startTestDaemon } from '../helpers/daemon.js';
import { waitFor } from '../helpers/wait.js';

/** Issue 21: one save that changes many tasks is applied while `status` goes on answering. */

const clients: JobctlClient[] = [];
afterEach(async () => {
  clients.splice(0).forEach((c) => c.close());
  expect(await cleanupDaemons()).toEqual([]);
});

const N = 200;

function tasksYaml(seconds: number): string {
  const names = Array.from({ length: N }, (_, i) => `t${i}`);
  return `tasks:\n${names.map((n) => `  ${n}:\n    command: ["sleep", "${seconds}"]\n    start_seconds: 0\n    stop_timeout: 5s\n`).join('')}`;
}

/** The pid of each task's one instance (undefined while it has none). */
function pidsOf(tasks: TaskStatus[]): Map<string, number | undefined> {
  return new Map(tasks.map((t) => [t.name, t.kind === 'service' ? t.instances?.[0]?.pid : undefined]));
}

describe('a reload of many tasks and status', () => {
  it(`status is answered while a save that changes ${N} commands is being applied`, async () => {
    const home = makeHome({ 'tasks/many.yaml': tasksYaml(1000) });
    const d = await startTestDaemon(home);
    const c = await d.client();
    clients.push(c);
    const status = async () => (await c.call('status', {}, 120_000)).tasks;
    const before = (await waitFor(async () => {
      const tasks = await status();
      const pids = pidsOf(tasks);
      return tasks.length === N && tasks.every((t) => t.state === 'running' && pids.get(t.name) !== undefined) ? pids : undefined;
    }, 120_000, `all ${N} tasks running`))!;

    // An editor's save: a temp file renamed over the old one.
    const file = path.join(home, 'tasks', 'many.yaml');
    fs.writeFileSync(`${file}.tmp~`, tasksYaml(1001));
    fs.renameSync(`${file}.tmp~`, file);

    // Asked back to back until every task runs its new process; some answer shows the reload
    // half done: some tasks replaced, others not yet.
    let midway = 0;
    await waitFor(async () => {
      const now = pidsOf(await status());
      let replaced = 0;
      let old = 0;
      for (const [name, pid] of now) {
        if (pid !== undefined && pid === before.get(name)) old++;
        else if (pid !== undefined) replaced++;
      }
      if (replaced > 0 && replaced < N) midway++;
      return replaced === N && old === 0;
    }, 240_000, `all ${N} tasks replaced`);
    expect(midway).toBeGreaterThan(0);
  });
});
