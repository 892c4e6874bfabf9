/**
 * Event-loop time per process start, this build against another, interleaved (issue 21: ≤ 3 ms
 * per start, p99 of 1,000 starts, with cgroups and without). Each cell is a fresh Node process
 * that imports a build's `dist/runtime/process/{handle,contain}.js` and starts N `/bin/true`
 * through `startProcess` (box, spawn, settle, release: what a cron run does) either paced
 * (`--rate R` a second, on a timer, as the scheduler does) or all at once (`--rate 0`, the
 * 1,000-instant burst). Measured in the worker:
 *
 * - the start call itself (hrtime around `startProcess(...)`: the whole spawn before, the
 *   hand-over after), p50 / p99;
 * - the CPU time of the loop's thread per start (/proc/self/task/<pid>/stat: the loop's own
 *   work, which CPU contention does not inflate; the spawner threads are not in it);
 * - the loop's busy time in all, wall clock (event-loop utilization over the run: callbacks of
 *   the start, the exit, the settle; inflated on a loaded machine), per start;
 * - the loop's delay (monitorEventLoopDelay, 1 ms resolution) p99 / max: the longest stretch
 *   anything waited for the loop;
 * - start lateness (pid known − due) p50 / p99, and the last start after the first due.
 *
 *   npm run build && npx tsx bench/start-loop-ab.ts --against bench/.work/ref-<sha> [--n 1000]
 *        [--rate 100] [--rounds 2] [--cgroups on,off]
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { paced, percentile } from './measure.js';

const args = process.argv.slice(2);
const opt = (name: string, def: string) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1]! : def);

/** CPU time of the event loop's thread alone (utime + stime of /proc/self/task/<pid>), ms: what a loaded machine does not inflate. */
function loopThreadCpuMs(): number {
  const text = fs.readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
}

interface Cell {
  loopCpuPerStart: number;
  call50: number; call99: number; busyPerStart: number; delay99: number; delayMax: number;
  late50: number; late99: number; lastStartMs: number; containment: string;
}

async function worker(root: string, n: number, rate: number): Promise<Cell> {
  const { startProcess } = await import(path.join(root, 'dist/runtime/process/handle.js'));
  const { Containment } = await import(path.join(root, 'dist/runtime/process/contain.js'));
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'jobctl-ab-'));
  const containment = Containment.open(home);
  const clock = { setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms), clearTimeout: (h: unknown) => clearTimeout(h as NodeJS.Timeout) };
  const calls: number[] = [];
  const late: number[] = [];
  const ends: Promise<unknown>[] = [];
  const delay = monitorEventLoopDelay({ resolution: 1 });
  let lastStarted = 0;
  const one = (i: number, due: number) => {
    const s = performance.now();
    const started = Promise.resolve(startProcess({ command: ['/bin/true'], cwd: '/', env: {} }, { containment, id: { task: 'ab', runId: String(i) }, clock }));
    calls.push(performance.now() - s);
    ends.push(started.then((h: { pid: number; stdout: NodeJS.ReadableStream; stderr: NodeJS.ReadableStream; exit: Promise<unknown>; settle: (c: Promise<void>, o: object) => Promise<unknown> }) => {
      const at = performance.now();
      late.push(at - due);
      lastStarted = Math.max(lastStarted, at);
      h.stdout.resume();
      h.stderr.resume();
      const captured = new Promise<void>((r) => h.stdout.once('close', () => r()));
      return h.exit.then(() => h.settle(captured, { stopSignal: 'SIGTERM', stopTimeoutMs: 1000 }));
    }));
  };
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = loopThreadCpuMs();
  delay.enable();
  const t0 = performance.now();
  if (rate <= 0) for (let i = 0; i < n; i++) one(i, t0);
  else await paced(n, rate, one);
  await Promise.all(ends);
  delay.disable();
  const busy = performance.eventLoopUtilization(elu0).active;
  const cell: Cell = {
    loopCpuPerStart: (loopThreadCpuMs() - cpu0) / n,
    call50: percentile(calls, 50), call99: percentile(calls, 99), busyPerStart: busy / n,
    delay99: delay.percentile(99) / 1e6, delayMax: delay.max / 1e6,
    late50: percentile(late, 50), late99: percentile(late, 99), lastStartMs: lastStarted - t0,
    containment: containment.mode,
  };
  await containment.sweep(200);
  containment.close();
  fs.rmSync(home, { recursive: true, force: true });
  return cell;
}

if (args[0] === '--worker') {
  const cell = await worker(args[1]!, Number(args[2]), Number(args[3]));
  process.stdout.write(`${JSON.stringify(cell)}\n`);
  process.exit(0);
}

const here = path.resolve(import.meta.dirname, '..');
const against = args.includes('--against') ? path.resolve(opt('against', '')) : undefined;
const N = Number(opt('n', '1000'));
const RATE = Number(opt('rate', '100'));
const ROUNDS = Number(opt('rounds', '2'));
const MODES = opt('cgroups', 'on,off').split(',');
const trees: Array<[string, string]> = [['this build', here], ...(against ? [[`before (${path.basename(against)})`, against] as [string, string]] : [])];
const f = (x: number) => x.toFixed(1);
console.log(`node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}; ${N} starts ${RATE > 0 ? `at ${RATE}/s` : 'at once'}; load at start ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log('| build | cgroups | round | start call p50 / p99 (ms) | loop thread CPU per start (ms) | loop busy per start, wall (ms) | loop delay p99 / max (ms) | start late p50 / p99 (ms) | last start after (ms) | load |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (let round = 1; round <= ROUNDS; round++) {
  for (const mode of MODES) {
    for (const [label, root] of trees) {
      const out = execFileSync(process.execPath, ['--import', 'tsx', path.join(here, 'bench/start-loop-ab.ts'), '--worker', root, String(N), String(RATE)], {
        encoding: 'utf8', env: { ...process.env, ...(mode === 'off' ? { JOBCTL_CGROUPS: 'off' } : {}) }, cwd: here, maxBuffer: 1 << 20,
      });
      const c = JSON.parse(out.trim().split('\n').at(-1)!) as Cell;
      console.log(`| ${label} | ${mode === 'off' ? 'off' : c.containment === 'cgroup' ? 'on' : 'n/a'} | ${round} | ${f(c.call50)} / ${f(c.call99)} | ${c.loopCpuPerStart.toFixed(2)} | ${f(c.busyPerStart)} | ${f(c.delay99)} / ${f(c.delayMax)} | ${f(c.late50)} / ${f(c.late99)} | ${Math.round(c.lastStartMs)} | ${os.loadavg()[0]!.toFixed(2)} |`);
    }
  }
}
