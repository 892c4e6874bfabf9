/**
 * How fast the xxl-job executor answers `/run` when the admin fires many triggers at once
 * (issue 22: the Java executor answers once the trigger is queued; the admin's read timeout is
 * 3 s). A real daemon (dist/, `npm run build` first) in a temp home, a minimal admin on
 * 127.0.0.1 that takes registrations and callbacks, then ROUNDS rounds of CONCURRENCY
 * concurrent triggers of different jobs sharing one handler (`sleep 0.2`), each round followed by
 * as many concurrent `/beat` as a baseline of what the machine allows; prints the latency of
 * the answers (client side) and checks that every accepted trigger called back.
 * BENCH_CLI=path/to/jobctl.js measures another build.
 *
 *   npx tsx bench/xxljob-run-latency.ts [--rounds 10] [--concurrency 20] [--task-per-job]
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const args = process.argv.slice(2);
const opt = (name: string, def: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const ROUNDS = opt('rounds', 10);
const CONCURRENCY = opt('concurrency', 20);
const CLI = process.env.BENCH_CLI ?? path.resolve(import.meta.dirname, '../dist/bin/jobctl.js');

const registered: string[] = [];
const called = new Set<number>();
const admin = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c: Buffer) => (body += String(c)));
  req.on('end', () => {
    const data = JSON.parse(body) as unknown;
    if (req.url?.endsWith('/registry')) registered.push((data as { registryValue: string }).registryValue);
    if (req.url?.endsWith('/callback')) for (const c of data as Array<{ logId: number }>) called.add(c.logId);
    res.end(JSON.stringify({ code: 200, msg: null, content: null }));
  });
});
await new Promise<void>((r) => admin.listen(0, '127.0.0.1', () => r()));
const adminPort = (admin.address() as net.AddressInfo).port;

const free = net.createServer();
await new Promise<void>((r) => free.listen(0, '127.0.0.1', () => r()));
const execPort = (free.address() as net.AddressInfo).port;
await new Promise((r) => free.close(r));

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'jobctl-bench-xxl-'));
fs.mkdirSync(path.join(home, 'tasks'));
// --task-per-job: each job its own task (w0, w1, …), so that builds whose block strategies act per task accept every trigger too.
const PER_JOB = args.includes('--task-per-job');
const handler = (i: number) => (PER_JOB ? `w${i}` : 'work');
fs.writeFileSync(path.join(home, 'tasks/xxl.yaml'), `tasks:\n${(PER_JOB ? Array.from({ length: CONCURRENCY }, (_, i) => i) : [0])
  .map((i) => `  ${handler(i)}:\n    command: "sleep 0.2"\n    xxljob: {handler: ${handler(i)}}\n`).join('')}`);
fs.writeFileSync(path.join(home, 'jobctl.yaml'), `xxljob:\n  admin: http://127.0.0.1:${adminPort}/xxl-job-admin\n  appname: bench\n  listen: 127.0.0.1:${execPort}\n`);
const daemon = spawn(process.execPath, [CLI, 'daemon'], { env: { ...process.env, JOBCTL_HOME: home }, stdio: 'ignore' });

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function post(what: 'run' | 'beat', jobId: number, logId: number): Promise<{ ms: number; code: number }> {
  const body = what === 'beat' ? '{}' : JSON.stringify({
    jobId, executorHandler: handler(jobId - 1000), executorParams: '', executorBlockStrategy: 'SERIAL_EXECUTION', executorTimeout: 0,
    logId, logDateTime: Date.now(), glueType: 'BEAN', glueSource: '', glueUpdatetime: 0, broadcastIndex: 0, broadcastTotal: 1,
  });
  const t0 = performance.now();
  const res = await fetch(`http://127.0.0.1:${execPort}/${what}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(3000) });
  const answer = (await res.json()) as { code: number };
  return { ms: performance.now() - t0, code: answer.code };
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
const show = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return `p50 ${pct(s, 50).toFixed(1)} ms, p95 ${pct(s, 95).toFixed(1)} ms, p99 ${pct(s, 99).toFixed(1)} ms, max ${s.at(-1)!.toFixed(1)} ms`;
};
try {
  await until(() => registered.length > 0, 20_000, 'registration');
  const runs: number[] = [];
  const beats: number[] = [];
  let accepted = 0;
  let logId = 1;
  for (let round = 0; round < ROUNDS; round++) {
    // CONCURRENCY triggers of different jobs at once, then as many /beat at once: the same
    // machine, the same moment (this round's runs starting), as a baseline.
    const got = await Promise.all(Array.from({ length: CONCURRENCY }, (_, i) => post('run', 1000 + i, logId++)));
    runs.push(...got.map((g) => g.ms));
    accepted += got.filter((g) => g.code === 200).length;
    beats.push(...(await Promise.all(Array.from({ length: CONCURRENCY }, () => post('beat', 0, 0)))).map((g) => g.ms));
    // The next round once this round's runs ended (sleep 0.2), so that no trigger waits.
    await new Promise((r) => setTimeout(r, 500));
  }
  await until(() => called.size === accepted, 120_000, 'every callback');
  console.log(`xxl-job executor, ${ROUNDS} rounds x ${CONCURRENCY} concurrent requests, ${os.cpus().length} cores, load ${os.loadavg()[0]!.toFixed(1)}:`);
  console.log(`  /run  ${show(runs)}; ${accepted} of ${runs.length} accepted, ${called.size} callbacks`);
  console.log(`  /beat ${show(beats)} (baseline: no work behind it)`);
} finally {
  daemon.kill('SIGTERM');
  await new Promise((r) => daemon.once('exit', r));
  admin.close();
  fs.rmSync(home, { recursive: true, force: true });
}
