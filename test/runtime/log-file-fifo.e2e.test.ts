import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobctlClient } from '../../src/api/client.js';
import { cleanupDaemons, makeHome, startTestDaemon } from '../helpers/daemon.js';
import { waitFor } from '../helpers/wait.js';

/**
 * An instance's log is opened again when it was removed (and at each daemon start). A FIFO put
 * at its path (`mkfifo state/logs/w/0.log`, to pipe the output elsewhere) was opened for writing
 * without O_NONBLOCK: the open waited for a reader for ever, on the daemon's loop, and the
 * daemon stopped answering (even `jobctl down`); `jobctl logs` opened it for reading, waiting
 * for a writer, with the same effect. Now it is refused: the output is dropped with a warning,
 * the log reads as empty, and a regular file at the path again takes the output.
 */

const clients: JobctlClient[] = [];
afterEach(async () => {
  clients.splice(0).forEach((c) => c.close());
  expect(await cleanupDaemons()).toEqual([]);
});

describe('an instance log replaced by a FIFO', () => {
  it('is refused with a warning and read as no log; the daemon goes on answering; a regular file takes the output again', async () => {
    const home = makeHome({
      'tasks/w.yaml': 'tasks:\n  w:\n    command: ["sh", "-c", "while :; do echo tick; sleep 0.1; done"]\n    start_seconds: 0\n',
    });
    const d = await startTestDaemon(home);
    const c = await d.client();
    clients.push(c);
    const log = path.join(home, 'state', 'logs', 'w', '0.log');
    await waitFor(() => fs.existsSync(log) && fs.readFileSync(log, 'utf8').includes('tick'), 30_000, 'w logging');

    fs.rmSync(log);
    execFileSync('mkfifo', [log]);
    // The writer sees the file removed at its next write after a second, and opens the path again.
    const warned = await waitFor(async () => {
      const s = await c.call('status', {}, 5_000);
      return s.daemon.warnings.find((w) => w.includes('0.log') && /is not a regular file/.test(w));
    }, 30_000, 'a warning about the FIFO');
    expect(warned).toMatch(/w\/0: cannot write log .*0\.log: is not a regular file/);
    expect(fs.statSync(log).isFIFO()).toBe(true);
    // Reading the log (jobctl logs) opened the FIFO for reading and waited for a writer: the same hang.
    // More lines than the in-memory ring holds: read from the file. The call rejects (TIMEOUT) if the daemon does not answer in 5 s.
    await expect(c.call('logs', { task: 'w', lines: 100_000 }, 5_000)).resolves.toBeDefined();

    fs.rmSync(log);
    await waitFor(() => fs.existsSync(log) && fs.statSync(log).isFile() && fs.readFileSync(log, 'utf8').includes('tick'), 30_000, 'the output in a regular file again');
    expect((await c.call('status', {}, 5_000)).tasks.find((t) => t.name === 'w')?.state).toBe('running');
  }, 120_000);
});
