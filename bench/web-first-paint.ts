/**
 * First paint of a 1,000-task fleet view in `jobctl web` (issue 26: ≤ 1 s on this machine).
 *
 *   npm run build && npx tsx bench/web-first-paint.ts [--hosts 4] [--tasks 250] [--rounds 5]
 *
 * Starts HOSTS daemons with TASKS cron tasks each (a schedule that does not fire), a fleet.yaml
 * naming them (`local:` addresses: the same client and protocol as over ssh, without ssh's own
 * connection time), `jobctl web --fleet`, and Debian's Chromium (puppeteer-core). Each round
 * opens the page in a fresh tab and reports, from the page's own clock (navigation start = 0):
 * `fcp` (first contentful paint), `rowsMs` (every task row in the DOM) and `paintMs` (the
 * frame after that has been painted). Needs /usr/bin/chromium (scripts/test-deps.sh).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import puppeteer from 'puppeteer-core';
import { argNumber, DaemonProcess, jobctlEntry } from './daemon-process.js';
import { median } from './measure.js';

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

async function main(): Promise<void> {
  const hosts = argNumber('hosts', 4);
  const perHost = argNumber('tasks', 250);
  const rounds = argNumber('rounds', 5);
  const total = hosts * perHost;
  const daemons: DaemonProcess[] = [];
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'jobctl-bench-web-'));
  let web: ReturnType<typeof spawn> | undefined;
  let browser: Awaited<ReturnType<typeof puppeteer.launch>> | undefined;
  try {
    for (let h = 0; h < hosts; h++) {
      const d = new DaemonProcess('jobctl-bench-web-host-');
      const groups = 10;
      for (let g = 0; g < groups; g++) {
        const names = Array.from({ length: Math.ceil(perHost / groups) }, (_, i) => g * Math.ceil(perHost / groups) + i).filter((i) => i < perHost);
        fs.writeFileSync(path.join(d.paths.tasks, `group${g}.yaml`), `tasks:\n${names.map((i) => `  job-${h}-${i}:\n    description: bench task ${i} of host ${h}\n    command: ["true"]\n    schedule: "0 0 1 1 *"\n`).join('')}`);
      }
      d.start();
      daemons.push(d);
    }
    await Promise.all(daemons.map((d) => d.waitForSocket()));
    fs.writeFileSync(path.join(work, 'fleet.yaml'), `timeout: 30s\nhosts:\n${daemons.map((d, i) => `  host${i}: {address: "local:${d.home}"}\n`).join('')}`);
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    let out = '';
    web = spawn(process.execPath, [jobctlEntry(), 'web', '--fleet', path.join(work, 'fleet.yaml'), '--listen', `127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    web.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    web.stderr!.on('data', (b: Buffer) => (out += b.toString()));
    const deadline = Date.now() + 30_000;
    while (!/\?token=/.test(out)) {
      if (Date.now() > deadline || web.exitCode !== null) throw new Error(`jobctl web did not start: ${out}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const url = /(http:\/\/\S+\?token=\S+)/.exec(out)![1]!;
    const origin = new URL(url).origin;
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'jobctl-bench-chromium-'));
    browser = await puppeteer.launch({ executablePath: '/usr/bin/chromium', headless: true, pipe: true, args: [...FLAGS, `--user-data-dir=${profile}`] });
    const login = await browser.newPage();
    await login.goto(url);
    // Every host connected and every task known to the server before timing the page.
    await login.waitForFunction(`document.querySelectorAll('.trow[data-key]').length === ${total}`, { timeout: 120_000, polling: 100 });
    await login.close();
    const results: Array<{ fcp: number; firstMs: number; rowsMs: number; paintMs: number; taskMs: number; scriptMs: number; layoutMs: number; styleMs: number }> = [];
    for (let r = 0; r < rounds; r++) {
      const page = await browser.newPage();
      await page.setViewport({ width: 1280, height: 800 });
      // In the page, from navigation start: when every row is in the DOM, and the frame after it painted.
      await page.evaluateOnNewDocument(`(() => {
        const check = () => {
          const n = document.querySelectorAll('.trow[data-key]').length;
          if (n > 0 && window.__firstRows === undefined) {
            window.__firstRows = performance.now();
            requestAnimationFrame(() => setTimeout(() => (window.__first = performance.now()), 0));
          }
          if (n >= ${total}) {
            window.__rows = performance.now();
            requestAnimationFrame(() => setTimeout(() => (window.__paint = performance.now()), 0));
            return;
          }
          requestAnimationFrame(check);
        };
        requestAnimationFrame(check);
      })()`);
      await page.goto(`${origin}/`);
      await page.waitForFunction('window.__paint !== undefined', { timeout: 60_000, polling: 50 });
      const m = (await page.evaluate(`({
        fcp: Math.round(performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN),
        firstMs: Math.round(window.__first),
        rowsMs: Math.round(window.__rows),
        paintMs: Math.round(window.__paint),
      })`)) as { fcp: number; firstMs: number; rowsMs: number; paintMs: number };
      // The renderer's own busy time (less at the mercy of a loaded machine than wall time).
      const pm = await page.metrics();
      const ms = (v: number | undefined) => Math.round((v ?? NaN) * 1000);
      const busy = { taskMs: ms(pm.TaskDuration), scriptMs: ms(pm.ScriptDuration), layoutMs: ms(pm.LayoutDuration), styleMs: ms(pm.RecalcStyleDuration) };
      results.push({ ...m, ...busy });
      console.log(`round ${r + 1}: fcp ${m.fcp} ms, first rows painted by ${m.firstMs} ms, ${total} rows in the DOM at ${m.rowsMs} ms, painted by ${m.paintMs} ms; renderer busy ${busy.taskMs} ms (script ${busy.scriptMs}, layout ${busy.layoutMs}, style ${busy.styleMs})`);
      await page.close();
    }
    if (process.argv.includes('--profile')) await profileRound(browser, origin, total);
    console.log(JSON.stringify({
      tasks: total, hosts, rounds,
      fcpMedian: median(results.map((x) => x.fcp)),
      firstRowsMedian: median(results.map((x) => x.firstMs)),
      firstRowsMax: Math.max(...results.map((x) => x.firstMs)),
      rowsMedian: median(results.map((x) => x.rowsMs)),
      paintMedian: median(results.map((x) => x.paintMs)),
      paintMax: Math.max(...results.map((x) => x.paintMs)),
      busyMedian: median(results.map((x) => x.taskMs)),
      scriptMedian: median(results.map((x) => x.scriptMs)),
      layoutMedian: median(results.map((x) => x.layoutMs)),
      styleMedian: median(results.map((x) => x.styleMs)),
      loadAverage: os.loadavg()[0],
    }));
    fs.rmSync(profile, { recursive: true, force: true });
  } finally {
    await browser?.close().catch(() => undefined);
    if (web && web.exitCode === null) {
      web.kill('SIGTERM');
      await new Promise((r) => web!.once('exit', r));
    }
    await Promise.all(daemons.map((d) => d.stop()));
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** `--profile`: one more load under the CPU profiler; the functions with the most self time. */
async function profileRound(browser: Awaited<ReturnType<typeof puppeteer.launch>>, origin: string, total: number): Promise<void> {
  const page = await browser.newPage();
  const cdp = await page.createCDPSession();
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
  await cdp.send('Profiler.start');
  await page.goto(`${origin}/`);
  await page.waitForFunction(`document.querySelectorAll('.trow[data-key]').length >= ${total}`, { timeout: 60_000, polling: 'raf' });
  const { profile } = await cdp.send('Profiler.stop');
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  (profile.samples ?? []).forEach((id, i) => {
    const f = byId.get(id)!.callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url.split('/').pop()}:${f.lineNumber}`;
    self.set(key, (self.get(key) ?? 0) + (profile.timeDeltas?.[i] ?? 0) / 1000);
  });
  console.log(`profile: ${Math.round([...self.values()].reduce((a, b) => a + b, 0))} ms sampled; most self time:`);
  for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 20)) console.log(`  ${Math.round(v)} ms ${k}`);
  await page.close();
}

await main();
