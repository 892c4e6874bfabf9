import { afterEach, expect, it } from 'vitest';
import { cleanupDaemons, makeHome, startTestDaemon } from '../helpers/daemon.js';
import { waitFor } from '../helpers/wait.js';

afterEach(async () => {
  expect(await cleanupDaemons()).toEqual([]);
});

// A worker that takes a moment to stop, so that signals come before, during and after the stop.
const SLOW_STOP = `trap 'sleep 0.3; exit 0' TERM; while true; do sleep 0.1; done`;

it('signals that keep coming while the daemon stops, up to its very end, never make it exit by a signal: it exits 0', async () => {
  const home = makeHome({ 'tasks/app.yaml': `tasks:\n  w:\n    command: "${SLOW_STOP}"\n` });
  for (let round = 0; round < 2; round++) {
    const d = await startTestDaemon(home);
    const c = await d.client();
    await waitFor(async () => (await c.call('status', { target: 'w' })).tasks[0]!.running === 1, 10_000, 'w running');
    c.close();
    const exited = new Promise<[number | null, NodeJS.Signals | null]>((r) => d.child.once('exit', (code, sig) => r([code, sig])));
    d.child.kill('SIGTERM');
    // A signal every millisecond until the process is gone: one of them lands in its last
    // milliseconds, where a daemon that ended by draining its loop had no handler left (killed by
    // SIGHUP 30 times in 30 on Node 20 and 26 before bin/jobctl.ts ended it with process.exit).
    let n = 0;
    const spam = setInterval(() => {
      try {
        d.child.kill(n++ % 2 ? 'SIGHUP' : 'SIGTERM');
      } catch {
        /* gone */
      }
    }, 1);
    const [code, signal] = await exited.finally(() => clearInterval(spam));
    expect({ code, signal, round }).toEqual({ code: 0, signal: null, round });
    expect(d.output()).not.toMatch(/unhandled rejection|uncaught/);
  }
});
