/**
 * The floor of process starts on this machine, beside what jobctl's own start path costs:
 * each spawner starts `true` on a timer at R starts a second for S seconds, and we record
 * how long each start call blocked the event loop (p50 / p99), the loop's busy time per start
 * in all (event-loop utilization: the start's and the exit's callbacks too), the loop's delay
 * (monitorEventLoopDelay p99 / max), the parent's CPU per start,
 * and how late each start was against its tick (p50 / p99).
 *
 *   npx tsx bench/spawn-floor.ts [--rates 100,300] [--seconds 3]   (as root for the cgroup rows)
 *
 * Rows: Node's child_process.spawn (bare, pipes, detached), jobctl's native spawner (vfork +
 * exec on a spawner thread) and child_process fallback through `spawnProcess`, and the whole start stage
 * (`startProcess`: box, spawn, settle) with the home's containment on each spawner.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Containment } from '../src/runtime/process/contain.js';
import { startProcess } from '../src/runtime/process/handle.js';
import { spawnerInfo, spawnProcess, type SpawnedProcess } from '../src/runtime/process/start.js';
import { paced, percentile } from './measure.js';

const args = process.argv.slice(2);
const opt = (name: string, def: string) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1]! : def);
const RATES = opt('rates', '100,300').split(',').map(Number);
const SECONDS = Number(opt('seconds', '3'));

type Started = { exit: Promise<unknown> };

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'jobctl-bench-floor-'));
const containment = Containment.open(home);
const timers = { setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms), clearTimeout: (h: unknown) => clearTimeout(h as NodeJS.Timeout) };
let seq = 0;

function drain(p: { stdout: NodeJS.ReadableStream; stderr: NodeJS.ReadableStream }): Promise<void> {
  p.stdout.resume();
  p.stderr.resume();
  return new Promise((r) => p.stdout.once('close', r));
}

function withSpawner<T>(which: 'native' | 'child_process', fn: () => T): T {
  const prev = process.env.JOBCTL_SPAWNER;
  process.env.JOBCTL_SPAWNER = which === 'native' ? 'native' : 'child_process';
  try {
    return fn();
  } finally {
    if (prev === undefined) delete process.env.JOBCTL_SPAWNER;
    else process.env.JOBCTL_SPAWNER = prev;
  }
}

const rows: Array<[string, () => Started]> = [
  ['child_process.spawn (bare)', () => {
    const c = spawn('/bin/true', [], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    return { exit: Promise.all([new Promise((r) => c.once('exit', r)), drain(c as never)]) };
  }],
  ['spawnProcess, child_process', () => {
    const p = withSpawner('child_process', () => spawnProcess({ command: ['/bin/true'], cwd: '/', env: {} }));
    return { exit: p.then((c: SpawnedProcess) => Promise.all([c.exit, drain(c)])) };
  }],
  ['startProcess + box, child_process', () => withSpawner('child_process', () => boxed())],
];
if (spawnerInfo().spawner === 'native') {
  rows.splice(1, 0, ['spawnProcess, native (spawner thread)', () => {
    const p = spawnProcess({ command: ['/bin/true'], cwd: '/', env: {} });
    return { exit: p.then((c) => Promise.all([c.exit, drain(c)])) };
  }]);
  rows.push(['startProcess + box, native (spawner thread)', () => boxed()]);
}

function boxed(): Started {
  const started = startProcess({ command: ['/bin/true'], cwd: '/', env: {} }, { containment, id: { task: 'floor', runId: String(seq++) }, clock: timers });
  return {
    exit: started.then((h) => {
      const captured = drain(h);
      return h.exit.then(() => h.settle(captured, { stopSignal: 'SIGTERM', stopTimeoutMs: 1000 }));
    }),
  };
}

async function measure(label: string, start: () => Started, rate: number): Promise<string> {
  const n = rate * SECONDS;
  const blocked: number[] = [];
  const late: number[] = [];
  const ends: Promise<unknown>[] = [];
  const cpu0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  await paced(n, rate, (_i, due) => {
    const s = performance.now();
    ends.push(start().exit);
    blocked.push(performance.now() - s);
    late.push(s - due);
  });
  await Promise.all(ends);
  delay.disable();
  const cpu = process.cpuUsage(cpu0);
  // Everything the loop did for these starts (hand-over, the start's and the exit's records, pipes), per start.
  const busy = performance.eventLoopUtilization(elu0).active / n;
  const f = (x: number) => x.toFixed(1);
  return `| ${label} | ${rate} | ${f(percentile(blocked, 50))} / ${f(percentile(blocked, 99))} | ${f(busy)} | ${f(delay.percentile(99) / 1e6)} / ${f(delay.max / 1e6)} | ${f((cpu.user + cpu.system) / 1000 / n)} | ${f(percentile(late, 50))} / ${f(percentile(late, 99))} |`;
}

console.log(`node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, load ${os.loadavg()[0]!.toFixed(2)}; containment: ${containment.info().description}`);
console.log('| spawner | starts/s | start call blocks the loop p50 / p99 (ms) | loop busy per start, all of it (ms) | loop delay p99 / max (ms) | parent CPU per start (ms) | start late p50 / p99 (ms) |');
console.log('|---|---|---|---|---|---|---|');
for (const rate of RATES) for (const [label, start] of rows) console.log(await measure(label, start, rate));
await containment.sweep(200);
containment.close();
fs.rmSync(home, { recursive: true, force: true });
