import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/shared/types.js';
import { cleanupDaemons, makeHome, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { freePort } from '../helpers/net.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Once per fleet: three daemons on this machine (separate homes, the same task), one real
 * redis-server. Every scheduled second runs on exactly one of them, through a kill -9 of
 * one daemon; with Redis gone, firings are skipped and recorded, never run unclaimed.
 */
let redis: ChildProcess | undefined;
let hook: http.Server | undefined;

afterAll(async () => {
  if (redis && redis.exitCode === null) redis.kill('SIGKILL');
  await new Promise<void>((r) => (hook ? hook.close(() => r()) : r()));
  expect(await cleanupDaemons()).toEqual([]);
});

async function history(d: TestDaemon): Promise<RunRecord[]> {
  const c = await d.client();
  try {
    return (await c.call('history', { task: 'tick', limit: 5000 })).runs;
  } finally {
    c.close();
  }
}

const second = (ms: number) => Math.round(ms / 1000);

describe('on_one_host with a real redis-server and three daemons', () => {
  it('runs every second exactly once across the fleet, survives a kill -9, and skips (recorded, alerted) without Redis', async () => {
    const port = await freePort();
    redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    await waitFor(async () => (await execa('redis-cli', ['-p', String(port), 'ping'], { reject: false })).stdout === 'PONG', 10_000, 'redis up');

    const alerts: string[] = [];
    hook = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        alerts.push(body);
        res.end('ok');
      });
    });
    await new Promise<void>((r) => hook!.listen(0, '127.0.0.1', () => r()));
    const hookPort = (hook.address() as net.AddressInfo).port;

    const homes = ['a', 'b', 'c'].map((label) => makeHome({
      'jobctl.yaml': `labels: [${label}]\nlock: {redis: "redis://127.0.0.1:${port}"}\nnotifiers:\n  hook: {url: "http://127.0.0.1:${hookPort}/${label}"}\n`,
      // The defaults carry on_one_host, as a shared repo would write it once.
      'tasks/fleet.yaml': 'defaults:\n  on_one_host: true\n  notify: {on: [failure], to: [hook]}\ntasks:\n  tick:\n    schedule: "* * * * * *"\n    command: echo tick\n    history: 2000\n',
    }));
    const [a, b, c] = await Promise.all(homes.map((h) => startTestDaemon(h)));
    const t0 = Date.now();
    // Each phase lasts until what it is for has happened (however long the machine takes), not
    // for a fixed time: all three took part in 8 seconds or more…
    const ranSeconds = (hs: RunRecord[][], after: number) =>
      new Set(hs.flat().filter((r) => r.trigger === 'schedule' && r.state !== 'skipped' && r.scheduledAt >= after).map((r) => second(r.scheduledAt))).size;
    await waitFor(async () => {
      const hs = await Promise.all([a!, b!, c!].map(history));
      // Each took part more than a second ago: the kill comes after this check, and "before the kill" below means a second before it.
      const tookPart = (h: RunRecord[]) => h.some((r) => r.trigger === 'schedule' && r.state !== 'skipped' && r.scheduledAt >= t0 && r.scheduledAt < Date.now() - 1000);
      return hs.every(tookPart) && ranSeconds(hs, t0 + 2000) >= 8;
    }, 90_000, 'the fleet running, all three taking part');
    const killedAt = Date.now();
    b!.child.kill('SIGKILL');
    await new Promise((r) => b!.child.once('exit', r));
    // …the other two carried on for 6 seconds or more after the kill…
    await waitFor(async () => ranSeconds(await Promise.all([a!, c!].map(history)), killedAt + 2000) >= 6, 90_000, 'a and c running after the kill');

    // Redis goes away: no firing runs without a claim; each is a recorded skip, and alerts go out.
    const redisGoneAt = Date.now();
    redis.kill('SIGKILL');
    await new Promise((r) => redis!.once('exit', r));
    // …and three firings after it were recorded as skipped.
    const lockSkips = (hs: RunRecord[][]) => hs.flat().filter((r) => r.state === 'skipped' && r.scheduledAt >= redisGoneAt + 1000 && /^lock error/.test(r.message ?? '')).length;
    await waitFor(async () => lockSkips(await Promise.all([a!, c!].map(history))) >= 3, 90_000, 'firings skipped without Redis');
    const end = Date.now();

    const [ha, hc] = await Promise.all([history(a!), history(c!)]);
    await Promise.all([a!.stop(), c!.stop()]);
    // The killed daemon's history, as it was written before the kill (its home is read again).
    const b2 = await startTestDaemon(b!.home);
    const hb = (await history(b2)).filter((r) => r.startedAt !== undefined && r.startedAt < killedAt);
    await b2.stop();

    const ran = [...ha, ...hb, ...hc].filter((r) => r.trigger === 'schedule' && r.state !== 'skipped');
    const counts = new Map<number, number>();
    for (const r of ran) counts.set(second(r.scheduledAt), (counts.get(second(r.scheduledAt)) ?? 0) + 1);
    // none doubled, ever
    expect([...counts].filter(([, n]) => n > 1)).toEqual([]);
    // every second ran once: from start-up (daemons start a few seconds apart under load) to the kill,
    // and again from the first firing after the kill until Redis went away
    const from = second(t0) + 2;
    const missing: number[] = [];
    for (let s = from; s < second(redisGoneAt) - 1; s++) {
      const aroundKill = s >= second(killedAt) - 1 && s <= second(killedAt) + 1;
      if (!counts.has(s) && !aroundKill) missing.push(s);
    }
    expect(missing).toEqual([]);
    expect(counts.size).toBeGreaterThanOrEqual(14);
    // all three took part before the kill; after it, only a and c
    const before = (h: RunRecord[]) => h.filter((r) => r.trigger === 'schedule' && r.state !== 'skipped' && r.scheduledAt < killedAt - 1000).length;
    expect(before(ha)).toBeGreaterThan(0);
    expect(before(hb)).toBeGreaterThan(0);
    expect(before(hc)).toBeGreaterThan(0);

    // Redis gone: nothing ran after it (a firing in flight at that moment may have claimed)
    const afterRedis = ran.filter((r) => r.scheduledAt >= redisGoneAt + 1000);
    expect(afterRedis).toEqual([]);
    const skipped = [...ha, ...hc].filter((r) => r.state === 'skipped' && r.scheduledAt >= redisGoneAt + 1000 && r.scheduledAt < end - 1000);
    expect(skipped.length).toBeGreaterThanOrEqual(2);
    for (const r of skipped) expect(r.message).toMatch(/^lock error: redis redis:\/\/127\.0\.0\.1:\d+: /);
    await waitFor(() => alerts.some((x) => x.includes('lock error')), 10_000, 'an alert about the lock');
  }, 300_000);
});
