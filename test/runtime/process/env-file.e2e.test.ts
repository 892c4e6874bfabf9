import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobctlClient } from '../../../src/api/client.js';
import { cleanupDaemons, makeHome, startTestDaemon } from '../../helpers/daemon.js';
import { waitFor } from '../../helpers/wait.js';

/**
 * `env_file` is read at each start, on the daemon's loop. A FIFO put at its path after the
 * task was loaded (the loader checks that it is a file) made that read wait for a writer for
 * ever: the whole daemon stopped answering. The start now fails with a clear error instead.
 */

const clients: JobctlClient[] = [];
afterEach(async () => {
  clients.splice(0).forEach((c) => c.close());
  expect(await cleanupDaemons()).toEqual([]);
});

describe('env_file at each start', () => {
  it('a FIFO put at the env_file path fails the start with a clear error; the daemon goes on answering', async () => {
    const home = makeHome({
      'tasks/w.yaml': 'tasks:\n  w:\n    command: ["sleep", "1000"]\n    env_file: ./app.env\n    start_seconds: 0\n',
      'tasks/app.env': 'A=1\n',
    });
    const d = await startTestDaemon(home);
    const c = await d.client();
    clients.push(c);
    const instance = async () => {
      const t = (await c.call('status', {}, 10_000)).tasks.find((x) => x.name === 'w');
      return t?.kind === 'service' ? t.instances?.[0] : undefined;
    };
    const pid = (await waitFor(async () => (await instance())?.pid, 30_000, 'w running'))!;

    const env = path.join(home, 'tasks', 'app.env');
    fs.rmSync(env);
    execFileSync('mkfifo', [env]);
    process.kill(pid, 'SIGKILL'); // the restart reads env_file again

    const said = await waitFor(async () => {
      const text = JSON.stringify(await instance());
      return /env_file [^"]*app\.env: is not a regular file/.test(text) ? text : undefined;
    }, 30_000, 'the start to fail on the FIFO');
    expect(said).toContain('point env_file at a dotenv file');
    // Still answering, and a regular file again starts it.
    fs.rmSync(env);
    fs.writeFileSync(env, 'A=2\n');
    await c.call('restart', { target: 'w' }, 10_000);
    await waitFor(async () => {
      const i = await instance();
      return i?.pid !== undefined && i.pid !== pid && i.state === 'running';
    }, 30_000, 'w running again');
  }, 90_000);
});
