import fs from 'node:fs';
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupDaemons, makeHome, startTestDaemon, taskStatus, type TestDaemon } from '../helpers/daemon.js';
import { waitFor } from '../helpers/wait.js';
import { hasChromium, launchBrowser, screenshot, type TestBrowser } from './browser.js';
import { attrOf, inPage, styleOf, textOf, waitText } from './dom.js';
import { request, startWeb, type WebProcess } from './web-process.js';

/**
 * `jobctl web` against a real daemon, in a real headless Chromium: the overview's colours,
 * stop from the page (checked in /proc), a run's log, a live log, a forged POST, a read-only page.
 */
const TASKS = {
  'tasks/app.yaml': `tasks:
  worker:
    description: two sleepers
    command: sleep 1000
    instances: 2
    start_seconds: 200ms
  talker:
    command: i=0; while true; do i=$((i+1)); echo "line $i"; sleep 0.25; done
    start_seconds: 200ms
  broken:
    command: exit 3
    start_seconds: 1s
    backoff: {initial: 50ms, max: 100ms}
    max_restarts: 1
    restart_window: 1m
  idle:
    enabled: false
    command: sleep 1000
`,
  'tasks/reports.yaml': `tasks:
  nightly:
    schedule: "0 0 1 1 *"
    command: echo "nightly ran as $JOBCTL_RUN_ID"; sleep 0.3; echo done
`,
};

let daemon: TestDaemon;
let web: WebProcess;
let browser: TestBrowser;
let page: Page;

const row = (name: string) => `.trow[data-key$=":${name}"]`;
const badgeColor = (p: Page, name: string) => styleOf(p, `${row(name)} .col-state .badge`, 'backgroundColor');
const stateText = (p: Page, name: string) => textOf(p, `${row(name)} .col-state .badge`);

function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

beforeAll(async () => {
  if (!hasChromium) return;
  const home = makeHome(TASKS);
  daemon = await startTestDaemon(home);
  await waitFor(async () => (await taskStatus(daemon, 'worker')).running === 2 && (await taskStatus(daemon, 'broken')).state === 'fatal', 20_000, 'worker running, broken fatal');
  web = await startWeb([], { JOBCTL_HOME: home });
  browser = await launchBrowser();
  page = await browser.page();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await web?.stop();
  expect(await cleanupDaemons()).toEqual([]);
}, 60_000);

describe.skipIf(!hasChromium)('jobctl web, one host', { timeout: 60_000 }, () => {
  it('exchanges the token for a SameSite=Strict HttpOnly cookie and lists the tasks with their colours', async () => {
    await page.goto(web.url);
    await page.waitForSelector(row('nightly'));
    expect(new URL(page.url()).search).toBe('');
    const cookie = (await browser.browser.defaultBrowserContext().cookies()).find((c) => c.name.startsWith('jobctl_web_'))!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', value: web.token });
    for (const name of ['worker', 'talker', 'broken', 'idle', 'nightly']) await page.waitForSelector(row(name));
    expect(await stateText(page, 'worker')).toBe('running');
    expect(await stateText(page, 'broken')).toBe('fatal');
    expect(await stateText(page, 'idle')).toBe('disabled');
    expect(await stateText(page, 'nightly')).toBe('scheduled');
    // style.css: --green #2fbf71, --red #ff5c5c, --gray #7b8494, --blue #4f9dff
    expect(await badgeColor(page, 'worker')).toBe('rgb(47, 191, 113)');
    expect(await badgeColor(page, 'broken')).toBe('rgb(255, 92, 92)');
    expect(await badgeColor(page, 'idle')).toBe('rgb(123, 132, 148)');
    expect(await badgeColor(page, 'nightly')).toBe('rgb(79, 157, 255)');
    expect(await textOf(page, `${row('worker')} .col-procs`)).toBe('2/2');
    // 1280x800: everything fits, no sideways scrolling.
    expect(await inPage(page, 'document.documentElement.scrollWidth')).toBeLessThanOrEqual(1280);
    await screenshot(page, 'web-overview.png');
  });

  it('fits a phone: the essential columns, no sideways scrolling', async () => {
    const phone = await browser.page();
    await phone.setViewport({ width: 390, height: 844, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    await phone.goto(`${web.origin}/`);
    await phone.waitForSelector(`${row('worker')} .col-state .badge`);
    expect(await inPage(phone, 'document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    expect(await styleOf(phone, `${row('worker')} .col-actions`, 'display')).toBe('none');
    await screenshot(phone, 'web-phone.png');
    await phone.click(`${row('nightly')} .col-name a`);
    await phone.waitForSelector('.task-head button[data-verb="run"]');
    expect(await inPage(phone, 'document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await screenshot(phone, 'web-phone-task.png');
    await phone.close();
  });

  it('runs a cron task from the page and opens that run\'s log from the timeline', async () => {
    await page.click(`${row('nightly')} button[data-verb="run"]`);
    await waitFor(async () => (await taskStatus(daemon, 'nightly')).lastRun?.state === 'succeeded', 15_000, 'the run to succeed');
    await waitText(page, `${row('nightly')} .col-last`, "(t) => t.startsWith('ok')");
    await page.click(`${row('nightly')} .col-name a`);
    await page.waitForSelector('.timeline button[data-run]');
    const id = (await taskStatus(daemon, 'nightly')).lastRun!.id;
    await page.click(`.timeline button[data-run="${id}"]`);
    await waitText(page, `pre[data-log="${id}"]`, `(t) => t.includes(${JSON.stringify(`nightly ran as ${id}`)})`);
    await waitText(page, 'pre[data-yaml]', "(t) => t.includes('schedule: 0 0 1 1 *')");
    await page.waitForSelector('.chart canvas');
    await screenshot(page, 'web-task.png');
  });

  it('follows a live log: lines show as the task writes them, pause holds them, resume shows them', async () => {
    await page.goto(`${web.origin}/`);
    await page.waitForSelector(row('talker'));
    await page.click(`${row('talker')} .col-name a`);
    await page.waitForSelector('button[data-live="off"]');
    await page.keyboard.press('l');
    await page.waitForSelector('pre[data-log="live"]');
    const lastLine = async () => Number(/line (\d+)\s*$/.exec((await textOf(page, 'pre[data-log="live"]')) ?? '')?.[1] ?? 0);
    await waitFor(async () => (await lastLine()) > 0, 10_000, 'the first lines');
    const first = await lastLine();
    // New lines arrive without a reload: the page was not navigated since.
    await inPage(page, 'window.marker = 1');
    await waitFor(async () => (await lastLine()) >= first + 2, 10_000, 'lines written after following began');
    await page.keyboard.press(' ');
    await waitText(page, '.log-status', "(t) => t.startsWith('paused')");
    const held = await lastLine();
    await waitText(page, '.log-status', '(t) => /new lines? waiting/.test(t)');
    expect(await lastLine()).toBe(held);
    await page.keyboard.press(' ');
    await waitFor(async () => (await lastLine()) > held, 10_000, 'held lines after resume');
    expect(await inPage(page, 'window.marker')).toBe(1);
  });

  it('stops a task from the overview after confirming: its processes are gone from /proc and the page shows it without reload', async () => {
    const pids = ((await taskStatus(daemon, 'worker')).instances ?? []).map((i) => i.pid!).filter(Boolean);
    expect(pids).toHaveLength(2);
    expect(pids.every(alive)).toBe(true);
    await page.goto(`${web.origin}/`);
    await page.waitForSelector(`${row('worker')} button[data-verb="stop"]`);
    await inPage(page, 'window.marker = 2');
    await page.click(`${row('worker')} button[data-verb="stop"]`);
    await page.waitForSelector('button[data-confirm="stop"]');
    expect(pids.every(alive)).toBe(true); // nothing happens before the answer
    await page.click('button[data-confirm="stop"]');
    await waitFor(() => pids.every((p) => !alive(p)), 15_000, 'the worker processes to leave /proc');
    await waitText(page, `${row('worker')} .col-state .badge`, "(t) => t === 'stopped'");
    expect(await badgeColor(page, 'worker')).toBe('rgb(123, 132, 148)');
    expect(await inPage(page, 'window.marker')).toBe(2);
    await waitText(page, '.events', "(t) => t.includes('worker') && t.includes('stopped by request')");
    await screenshot(page, 'web-overview-after-stop.png');
  });

  it('keys: / filters, j selects, enter opens, esc goes back, ? shows the keys, x asks before stopping', async () => {
    await page.goto(`${web.origin}/`);
    await page.waitForSelector(row('talker'));
    await page.keyboard.press('/');
    // The page moves the focus to the filter on its next turn: type once it is there (else the
    // letters are shortcuts).
    await page.waitForFunction(`document.activeElement?.tagName === 'INPUT'`);
    await page.keyboard.type('talk');
    await page.waitForFunction(`document.querySelectorAll('.trow[data-key]').length === 1`);
    await page.keyboard.press('Escape');
    await page.keyboard.press('j');
    await page.waitForSelector(`${row('talker')}.selected`);
    await page.keyboard.press('Enter');
    await page.waitForSelector('.task-head');
    expect(await textOf(page, '.task-head h2')).toBe('talker');
    await page.keyboard.press('x');
    await page.waitForSelector('button[data-confirm="stop"]');
    await page.keyboard.press('n');
    await page.waitForFunction(`!document.querySelector('button[data-confirm]')`);
    expect((await taskStatus(daemon, 'talker')).state).toBe('running');
    // As the TUI's [y/N]: Enter and space (the keys that open and pause) say no, not yes.
    for (const key of ['Enter', 'Space'] as const) {
      await page.keyboard.press('x');
      await page.waitForSelector('button[data-confirm="stop"]');
      await page.keyboard.press(key);
      await waitText(page, '.toasts', "(t) => t.includes('cancelled')");
      await page.waitForFunction(`!document.querySelector('button[data-confirm]')`);
      expect((await taskStatus(daemon, 'talker')).state).toBe('running');
      await page.waitForFunction(`!document.querySelector('.toasts .toast')`, { timeout: 10_000 });
    }
    await page.keyboard.press('Escape');
    await page.waitForSelector(row('talker'));
    await page.keyboard.press('?');
    await page.waitForSelector('.modal.help');
    await page.keyboard.press('Escape');
    await page.waitForFunction(`!document.querySelector('.modal.help')`);
  });

  it('refuses a forged POST: no token, another Origin, a form post', async () => {
    const talker = (await attrOf(page, row('talker'), 'data-key'))!;
    const post = (headers: Record<string, string>, body = JSON.stringify({ key: talker, verb: 'stop' })) => request(`${web.origin}/api/action`, { method: 'POST', headers, body });
    const cookie = `jobctl_web_${new URL(web.origin).port}=${web.token}`;
    const noToken = await post({ 'content-type': 'application/json', origin: web.origin });
    expect(noToken.status).toBe(401);
    const wrongToken = await post({ 'content-type': 'application/json', origin: web.origin, cookie: `jobctl_web_${new URL(web.origin).port}=guess` });
    expect(wrongToken.status).toBe(401);
    const otherOrigin = await post({ 'content-type': 'application/json', origin: 'http://evil.example', cookie });
    expect(otherOrigin.status).toBe(403);
    expect(JSON.parse(otherOrigin.body).error.code).toBe('BAD_ORIGIN');
    const noOrigin = await post({ 'content-type': 'application/json', cookie });
    expect(noOrigin.status).toBe(403);
    const form = await post({ 'content-type': 'application/x-www-form-urlencoded', origin: web.origin, cookie }, 'key=x&verb=stop');
    expect(form.status).toBe(400);
    const rebound = await request(`${web.origin}/api/state`, { headers: { cookie, host: `evil.example:${new URL(web.origin).port}` } });
    expect(rebound.status).toBe(421);
    // From a page of another origin in the browser itself: no cookie goes with it (SameSite=Strict), no answer is readable.
    const other = await browser.page();
    await other.goto('about:blank');
    const fromOther = await inPage<string>(other, `fetch(${JSON.stringify(`${web.origin}/api/action`)}, { method: 'POST', mode: 'no-cors', credentials: 'include', headers: { 'content-type': 'text/plain' }, body: ${JSON.stringify(JSON.stringify({ key: talker, verb: 'stop' }))} }).then((r) => r.type, (e) => String(e))`);
    // Either the browser blocks it or the answer is opaque; either way the task runs on.
    expect(fromOther).not.toMatch(/^(basic|cors)$/);
    await other.close();
    expect((await taskStatus(daemon, 'talker')).state).toBe('running');
  });

  it('--read-only: the page has no action buttons and the server refuses actions', async () => {
    const ro = await startWeb(['--read-only'], { JOBCTL_HOME: daemon.home });
    try {
      const p = await browser.page();
      await p.goto(ro.url);
      await p.waitForSelector(row('talker'));
      await p.waitForSelector('[data-readonly]');
      expect(await p.$$('button[data-verb]')).toHaveLength(0);
      await p.click(`${row('talker')} .col-name a`);
      await p.waitForSelector('.task-head');
      expect(await p.$$('button[data-verb]')).toHaveLength(0);
      await p.keyboard.press('x');
      expect(await p.$('button[data-confirm]')).toBeNull();
      const key = await inPage<string>(p, "decodeURIComponent(location.hash.slice('#/task/'.length))");
      expect(key).toMatch(/:talker$/);
      const r = await request(`${ro.origin}/api/action`, { method: 'POST', headers: { 'content-type': 'application/json', origin: ro.origin, cookie: `jobctl_web_${new URL(ro.origin).port}=${ro.token}` }, body: JSON.stringify({ key, verb: 'stop' }) });
      expect(r.status).toBe(403);
      expect(JSON.parse(r.body).error.code).toBe('FORBIDDEN');
      expect((await taskStatus(daemon, 'talker')).state).toBe('running');
      await p.close();
    } finally {
      await ro.stop();
    }
  });
});
