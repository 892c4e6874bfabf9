import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobctlClient } from '../../../src/api/client.js';
import { cleanupDaemons, makeHome, startTestDaemon } from '../../helpers/daemon.js';
import { freePort } from '../../helpers/net.js';
import { waitFor } from '../../helpers/wait.js';

/**
 * `xxljob.ca_file` is read on the daemon's loop, at start and at each change of jobctl.yaml.
 * A FIFO at its path made that read wait for a writer for ever: the daemon never answered (its
 * socket not even bound at start). It is now refused like an unreadable file: the executor is
 * not serving, the daemon is, and says why.
 */

const clients: JobctlClient[] = [];
afterEach(async () => {
  clients.splice(0).forEach((c) => c.close());
  expect(await cleanupDaemons()).toEqual([]);
});

describe('xxljob.ca_file', () => {
  it('a FIFO is refused with a clear error; the daemon answers, and a settings change reads the path again', async () => {
    const home = makeHome({ 'tasks/w.yaml': 'tasks:\n  w:\n    command: ["sleep", "1000"]\n' });
    const ca = path.join(home, 'ca.pem');
    execFileSync('mkfifo', [ca]);
    // The admin is never reached (port 1): the ca_file is read before any registration.
    fs.writeFileSync(path.join(home, 'jobctl.yaml'), [
      'xxljob:', '  admin: https://127.0.0.1:1/xxl-job-admin', '  appname: a',
      `  listen: 127.0.0.1:${await freePort()}`, `  ca_file: ${ca}`, '',
    ].join('\n'));
    const d = await startTestDaemon(home);
    const c = await d.client();
    clients.push(c);
    const lastError = async () => (await c.call('status', {}, 5_000)).daemon.xxljob?.lastError;
    const said = await waitFor(async () => ((await lastError()) ?? '').includes('ca_file') ? lastError() : undefined, 30_000, 'the ca_file error');
    expect(said).toMatch(/^xxljob\.ca_file: cannot read .*ca\.pem: is not a regular file.*; point ca_file at a PEM file; the executor is not serving/);

    fs.rmSync(ca);
    fs.writeFileSync(ca, 'not a certificate\n');
    // A settings change reads it again (an unchanged jobctl.yaml applies nothing).
    const yaml = path.join(home, 'jobctl.yaml');
    fs.writeFileSync(yaml, fs.readFileSync(yaml, 'utf8').replace('appname: a', 'appname: b'));
    await c.call('reload', {}, 10_000);
    await waitFor(async () => /holds no PEM certificate/.test((await lastError()) ?? ''), 30_000, 'the file read again');
  }, 90_000);
});
