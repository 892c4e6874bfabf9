import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { homePaths } from '../../src/shared/paths.js';
import type { RunRecord } from '../../src/shared/types.js';
import { jobctl } from '../helpers/cli.js';
import { cleanupDaemons, makeHome, processesOfHome, startTestDaemon, taskStatus } from '../helpers/daemon.js';
import { livePids, waitFor } from '../helpers/wait.js';

/** The state store under a real daemon that is killed while it writes. */
afterEach(async () => {
  expect(await cleanupDaemons()).toEqual([]);
});

const finished = (r: RunRecord) => r.state !== 'running' && r.state !== 'queued';

describe('state under kill -9', () => {
  it('kill -9 while 40 tasks append and trim their history: after a restart every file reads, and no run that had ended is lost', async () => {
    // 20 tasks keep 2 runs (their files are rewritten every third run: a kill lands mid-trim
    // often), 20 keep everything they make here.
    const tasks = Array.from({ length: 40 }, (_, i) => `  t${i}:\n    schedule: "* * * * * *"\n    command: "echo run $JOBCTL_RUN_ID"\n    overlap: allow\n    history: ${i < 20 ? 2 : 1000}\n`).join('');
    const home = makeHome({ 'tasks/many.yaml': `tasks:\n${tasks}` });
    const d = await startTestDaemon(home);
    const c = await d.client();
    await waitFor(async () => (await c.call('history', { task: 't39', limit: 1000 })).runs.filter(finished).length >= 3, 90_000, 'three runs of t39');
    // What the daemon has told a client about ended runs, just before it dies.
    const seen = new Map<string, RunRecord[]>();
    for (let i = 0; i < 40; i++) seen.set(`t${i}`, (await c.call('history', { task: `t${i}`, limit: 1000 })).runs.filter(finished));
    c.close();
    d.child.kill('SIGKILL');
    await new Promise((r) => d.child.once('exit', r));
    // The old daemon's children die with it (pdeathsig) or are swept by the next one.
    // The next daemon reads what the kill left; it need not fire 40 runs a second meanwhile
    // (on a loaded machine that alone outran the test's time): the same tasks, disabled.
    fs.writeFileSync(path.join(home, 'tasks/many.yaml'), `tasks:\n${tasks.replaceAll('    overlap: allow\n', '    overlap: allow\n    enabled: false\n')}`);

    const d2 = await startTestDaemon(home);
    const c2 = await d2.client();
    for (let i = 0; i < 40; i++) {
      const name = `t${i}`;
      const after = (await c2.call('history', { task: name, limit: 1000 })).runs;
      const byId = new Map(after.map((r) => [r.id, r]));
      const before = seen.get(name)!;
      if (i >= 20) {
        for (const r of before) expect(byId.get(r.id), `${name} run ${r.id}`).toMatchObject({ state: r.state, endedAt: r.endedAt });
      } else {
        // Only the newest 2 are kept; they are at least as new as what was seen.
        const kept = after.filter(finished);
        expect(kept.length).toBeGreaterThanOrEqual(Math.min(2, before.length));
        expect(kept.length).toBeLessThanOrEqual(2);
        const newestSeen = Math.max(0, ...before.map((r) => r.endedAt ?? 0));
        expect(Math.max(...kept.map((r) => r.endedAt ?? 0))).toBeGreaterThanOrEqual(newestSeen);
      }
      // Runs cut by the kill are closed, never left running.
      for (const r of after) if (!before.some((b) => b.id === r.id) && r.message === 'the daemon stopped before this run ended') expect(r.state).toMatch(/killed|skipped/);
    }
    // Nothing of the state is torn beyond repair: the daemon said so at most as a warning.
    expect(d2.output()).not.toMatch(/could not (read|migrate)/);
    c2.close();
    expect(await d2.stop()).toBe(0);
    expect(processesOfHome(home)).toEqual([]);
    // Every step waits for an event; 40 spawns a second on a loaded 2-core machine are slow.
  }, 300_000);

  it('a child spawned just before kill -9 is on record: the next daemon sweeps it', async () => {
    const home = makeHome({ 'tasks/app.yaml': 'tasks:\n  w:\n    command: sleep 1000\n    instances: 3\n' });
    const d = await startTestDaemon(home);
    // The three instances started (the daemon's own short-lived helpers are processes of the
    // home too: counting processes is not the event), each recorded before its start returned.
    type Entry = { op: string; key: string; child: { pid: number } };
    const readJournal = (): Entry[] => fs.readFileSync(homePaths(home).children, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Entry);
    await waitFor(async () => (await taskStatus(d, 'w')).instances!.filter((i) => i.state === 'running').length === 3, 20_000, 'three instances running');
    const journal = readJournal();
    expect(journal.filter((e) => e.op === 'add').map((e) => e.key).sort()).toEqual(['w/0', 'w/1', 'w/2']);
    const old = journal.map((e) => e.child.pid);
    // pdeathsig stops each `sh`, but its `sleep` lives on in the group: only the record finds it.
    d.child.kill('SIGKILL');
    await new Promise((r) => d.child.once('exit', r));
    const d2 = await startTestDaemon(home);
    // The start-up sweep says what it stopped (the socket may answer before it has said all).
    const swept = () => d2.output().match(/stopped \d+ process\(es\) left by a previous daemon/g) ?? [];
    await waitFor(() => swept().length >= 3, 20_000, 'the sweep of three groups');
    expect(swept()).toHaveLength(3);
    for (const pid of old) expect(livePids(pid)).toEqual([]);
    await waitFor(async () => (JSON.parse((await jobctl(['status', 'w', '--json'], { home })).stdout).tasks[0].instances as Array<{ pid?: number }>).filter((i) => i.pid).length === 3, 5000, 'three new instances');
    expect(await d2.stop()).toBe(0);
    expect(processesOfHome(home)).toEqual([]);
  });
});
