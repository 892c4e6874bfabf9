import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupDaemons, makeHome, startTestDaemon, taskStatus } from '../helpers/daemon.js';
import { freePort } from '../helpers/net.js';
import { waitFor } from '../helpers/wait.js';

/**
 * prom-client is loaded only when `metrics:` is configured (issues 21/28 on the daemon's memory,
 * issue 29): a real daemon, preloaded with a module that lists at exit the CommonJS packages it
 * loaded.
 */

const REPORT = pathToFileURL(path.resolve(import.meta.dirname, '../fixtures/report-modules.mjs')).href;
const TASKS = 'tasks:\n  tick:\n    schedule: "* * * * * *"\n    command: "true"\n';

afterEach(async () => {
  expect(await cleanupDaemons()).toEqual([]);
});

async function packagesOf(files: Record<string, string>, ready: (home: string) => Promise<boolean>): Promise<string[]> {
  const home = makeHome(files);
  const out = path.join(home, 'modules.json');
  // The daemon's modules (not its bundle, where packages are inlined): the report sees the
  // packages they load from node_modules. The bundle's split is held by test/bin/daemon-call.test.ts.
  const d = await startTestDaemon(home, { NODE_OPTIONS: `--import ${REPORT}`, JOBCTL_TEST_MODULES_FILE: out, JOBCTL_DAEMON_BUNDLE: '0' });
  await waitFor(async () => (await taskStatus(d, 'tick')).lastRun?.state === 'succeeded' && ready(home), 20_000, 'a cron run, and ready');
  expect(await d.stop()).toBe(0);
  const report = JSON.parse(fs.readFileSync(out, 'utf8')) as { pid: number; packages: string[] };
  expect(report.pid).toBe(d.pid);
  return report.packages;
}

describe('metrics module loading', () => {
  it('a daemon without metrics: never loads prom-client; with it, loads it', async () => {
    // (An env file: the start stage then loads dotenv, which it loads for nothing else.)
    const without = await packagesOf({ 'tasks/a.yaml': `${TASKS}    env_file: a.env\n`, 'tasks/a.env': 'A=1\n' }, async () => true);
    // The report sees CommonJS packages (dotenv: the start stage reads env files with it), so its silence about prom-client means something.
    expect(without).toContain('dotenv');
    expect(without).not.toContain('prom-client');

    const port = await freePort();
    const url = `http://127.0.0.1:${port}/metrics`;
    const withMetrics = await packagesOf({ 'tasks/a.yaml': TASKS, 'jobctl.yaml': `metrics:\n  listen: "127.0.0.1:${port}"\n` },
      async () => (await fetch(url).then((r) => r.status).catch(() => 0)) === 200);
    expect(withMetrics).toContain('prom-client');
  }, 90_000);
});
