import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'puppeteer-core';
import { CLI } from '../helpers/cli.js';
import { cleanupDaemons, makeHome, startTestDaemon, taskStatus, type TestDaemon } from '../helpers/daemon.js';
import { hasSshd, startSshd, type TestSshd } from '../helpers/sshd.js';
import { tempDir, writeFiles } from '../helpers/temp.js';
import { waitFor } from '../helpers/wait.js';
import { hasChromium, launchBrowser, screenshot, type TestBrowser } from './browser.js';
import { textOf, waitText } from './dom.js';
import { request, startWeb, type WebProcess } from './web-process.js';

/**
 * `jobctl web --fleet`: one host on this machine's socket, a second reached over a real sshd
 * (the page's server runs `ssh … jobctl dial-stdio`; no port is opened on that host), and a
 * third whose daemon is not running: a row that says so, while the others show.
 */
let sshd: TestSshd;
let web: WebProcess;
let browser: TestBrowser;
let page: Page;
let there: TestDaemon;
/** Keys whose forced command names an operator (issue 25): bob a viewer, alice an operator of there-worker only. */
const keys: Record<string, { env: Record<string, string> }> = {};
const work = tempDir('jobctl-web-fleet-');

beforeAll(async () => {
  if (!hasChromium || !hasSshd) return;
  sshd = await startSshd();
  const here = makeHome({ 'tasks/a.yaml': 'tasks:\n  here-worker:\n    command: sleep 1000\n    start_seconds: 200ms\n' });
  const thereHome = makeHome({
    'tasks/b.yaml': 'tasks:\n  there-worker:\n    command: sleep 1000\n    instances: 2\n    start_seconds: 200ms\n  there-cron:\n    schedule: "0 0 1 1 *"\n    command: echo remote run\n',
    'jobctl.yaml': 'access:\n  bob: {role: viewer}\n  alice: {role: operator, tasks: [there-worker]}\n',
  });
  for (const who of ['bob', 'alice']) keys[who] = sshd.addKey(who, `command="${process.execPath} ${CLI} dial-stdio --home ${thereHome} --as ${who}",restrict`);
  const down = makeHome({ 'tasks/c.yaml': 'tasks:\n  never:\n    command: sleep 1000\n' });
  await startTestDaemon(here);
  there = await startTestDaemon(thereHome);
  writeFiles(work.dir, {
    'fleet.yaml': `timeout: 15s\nhosts:\n  h1: {address: "local:${here}", labels: [eu]}\n  h2: {address: "${sshd.url(thereHome)}", labels: [us]}\n  h3: {address: "local:${down}", labels: [us]}\n`,
  });
  web = await startWeb(['--fleet', `${work.dir}/fleet.yaml`], { ...sshd.env, JOBCTL_HOME: here });
  browser = await launchBrowser();
  page = await browser.page();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await web?.stop();
  await sshd?.stop();
  work.cleanup();
  expect(await cleanupDaemons()).toEqual([]);
}, 60_000);

describe.skipIf(!hasChromium || !hasSshd)('jobctl web --fleet', { timeout: 90_000 }, () => {
  it('shows every host: one over the socket, one over a real sshd, and a row for the host that is down', async () => {
    await page.goto(web.url);
    await page.waitForSelector('.trow[data-key="h1:here-worker"]', { timeout: 20_000 });
    await page.waitForSelector('.trow[data-key="h2:there-worker"]', { timeout: 40_000 });
    await page.waitForSelector('.trow[data-key="h2:there-cron"]');
    expect(await textOf(page, '.trow[data-key="h2:there-worker"] .col-host')).toBe('h2');
    await waitText(page, '[data-host-down="h3"]', "(t) => t.includes('unreachable')", 20_000);
    expect(await textOf(page, '[data-host-down="h3"]')).toMatch(/h3 unreachable: daemon not running/);
    await waitFor(async () => (await textOf(page, '.trow[data-key="h2:there-worker"] .col-procs')) === '2/2', 15_000, 'both remote instances running');
    await screenshot(page, 'web-fleet.png');
  });

  it('filters by host', async () => {
    await page.select('select[aria-label="host"]', 'h2');
    await page.waitForFunction('!document.querySelector(\'.trow[data-key^="h1:"]\')');
    expect((await page.$$('.trow[data-key^="h2:"]')).length).toBe(2);
    await page.select('select[aria-label="host"]', '');
  });

  it('opens a remote task page and reads its YAML and instances over ssh', async () => {
    await page.click('.trow[data-key="h2:there-worker"] .col-name a');
    await page.waitForSelector('table.instances tr[data-instance="1"]');
    await waitText(page, 'pre[data-yaml]', "(t) => t.includes('instances: 2')");
    const cookie = `jobctl_web_${new URL(web.origin).port}=${web.token}`;
    const r = await request(`${web.origin}/api/state`, { headers: { cookie } });
    const state = JSON.parse(r.body) as { hosts: Array<{ name: string; connection: string; role: string }> };
    expect(state.hosts.map((h) => [h.name, h.connection])).toEqual([['h1', 'connected'], ['h2', 'connected'], ['h3', 'disconnected']]);
  });

  it('a viewer over ssh (the key\'s forced command names bob): the tasks, no action buttons, and the server refuses its POST', async () => {
    const w = await startWeb([], { ...keys.bob!.env, JOBCTL_HOST: sshd.url() });
    try {
      const p = await browser.page();
      await p.goto(w.url);
      await p.waitForSelector('.trow[data-key="127.0.0.1:there-worker"]', { timeout: 40_000 });
      await p.waitForSelector('.trow[data-key="127.0.0.1:there-cron"]');
      await p.waitForSelector('[data-readonly]');
      expect(await p.$$('button[data-verb]')).toHaveLength(0);
      await p.click('.trow[data-key="127.0.0.1:there-worker"] .col-name a');
      await p.waitForSelector('table.instances tr[data-instance="1"]');
      expect(await p.$$('button[data-verb]')).toHaveLength(0);
      await screenshot(p, 'web-viewer-task.png');
      const cookie = `jobctl_web_${new URL(w.origin).port}=${w.token}`;
      const state = JSON.parse((await request(`${w.origin}/api/state`, { headers: { cookie } })).body) as { hosts: Array<{ operator: string; role: string; canControl: boolean }> };
      expect(state.hosts).toMatchObject([{ operator: 'bob', role: 'viewer', canControl: false }]);
      const r = await request(`${w.origin}/api/action`, { method: 'POST', headers: { 'content-type': 'application/json', origin: w.origin, cookie }, body: JSON.stringify({ key: '127.0.0.1:there-worker', verb: 'stop' }) });
      expect(r.status).toBe(403);
      expect(JSON.parse(r.body).error).toEqual({ code: 'FORBIDDEN', message: 'may not stop there-worker: bob is a viewer on 127.0.0.1' });
      expect((await taskStatus(there, 'there-worker')).running).toBe(2);
      await p.close();
    } finally {
      await w.stop();
    }
  });

  it('a scoped operator over ssh (alice: there-worker only) sees only that task, with its buttons, and restarts it', async () => {
    const w = await startWeb([], { ...keys.alice!.env, JOBCTL_HOST: sshd.url() });
    try {
      const p = await browser.page();
      await p.goto(w.url);
      await p.waitForSelector('.trow[data-key="127.0.0.1:there-worker"] button[data-verb="restart"]', { timeout: 40_000 });
      expect(await p.$('.trow[data-key="127.0.0.1:there-cron"]')).toBeNull();
      const before = (await taskStatus(there, 'there-worker')).instances!.map((i) => i.pid);
      await p.click('.trow[data-key="127.0.0.1:there-worker"] button[data-verb="restart"]');
      await waitFor(async () => {
        const now = (await taskStatus(there, 'there-worker')).instances ?? [];
        return now.every((i) => i.state === 'running' && i.pid !== undefined && !before.includes(i.pid));
      }, 20_000, 'both instances replaced');
      await p.close();
    } finally {
      await w.stop();
    }
  });
});
