/**
 * Cron firings through the whole daemon, as a user runs it: N tasks in task files, each on
 * `* * * * * *` (or `--schedule`), command `true`, a real `jobctl daemon` process. After a
 * warm-up, a window of S seconds is measured from the outside:
 *
 * - firings started: run records (state/runs/*.jsonl) scheduled in the window, against N × S;
 * - start lateness: startedAt − scheduledAt of those records, p50 / p99 / max;
 * - the daemon's CPU (utime + stime from /proc) over the window, % of one core;
 * - `status` while it runs: the socket round trip (hello + status) once a second, and the
 *   whole `jobctl status` command a few times.
 *
 * With `--schedule '0 * * * * *' --seconds 65`, every task fires at the same second once:
 * `lastStartOfFirstInstantMs` says how long the last of them took to start.
 *
 *   npx tsx bench/cron-daemon.ts [--tasks 300] [--seconds 60] [--warmup 5] [--history 40]
 *        [--schedule '* * * * * *'] [--cli dist/bin/jobctl.js] [--cgroups off] [--json]
 *
 * `--cli` points at another build (bench/run.ts --against REF uses it for the "before" column).
 * One task file holds all tasks (a checkout of one file); the home is removed afterwards.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { firingsBetween } from '../src/core/schedule.js';
import { cpuMsOf, percentile, rssOf, sleep } from './measure.js';

export interface CronDaemonOptions {
  tasks: number;
  seconds: number;
  warmup: number;
  history: number;
  schedule: string;
  cli: string;
  cgroups: boolean;
}

export interface CronDaemonResult {
  tasks: number;
  seconds: number;
  expected: number;
  started: number;
  startedPct: number;
  lateP50: number;
  lateP99: number;
  lateMax: number;
  /** From the first firing's scheduled time to the last start among those of that instant. */
  lastStartOfFirstInstantMs: number;
  cpuPct: number;
  rssMb: number;
  statusRpcP50: number;
  statusRpcMax: number;
  statusCmdMedian: number;
  statusCmdMax: number;
  /** How long the socket took to answer after the daemon was started. */
  upMs: number;
}

/** One request over the socket: hello then status; ms for the status reply. */
function statusRpc(socket: string, timeoutMs = 30_000): Promise<number> {
  return new Promise((resolve) => {
    const c = net.createConnection(socket);
    let buf = '';
    let t0 = 0;
    const timer = setTimeout(() => {
      c.destroy();
      resolve(timeoutMs);
    }, timeoutMs);
    c.setEncoding('utf8');
    c.on('connect', () => c.write(`${JSON.stringify({ id: 1, method: 'hello', params: {} })}\n`));
    c.on('data', (d: string) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const msg = JSON.parse(buf.slice(0, nl)) as { id?: number };
        buf = buf.slice(nl + 1);
        if (msg.id === 1) {
          t0 = performance.now();
          c.write(`${JSON.stringify({ id: 2, method: 'status', params: {} })}\n`);
        } else if (msg.id === 2) {
          clearTimeout(timer);
          c.destroy();
          resolve(performance.now() - t0);
        }
      }
    });
    c.on('error', () => {
      clearTimeout(timer);
      resolve(NaN);
    });
  });
}

function runCommand(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const p = spawn(argv[0]!, argv.slice(1), { env, stdio: 'ignore' });
    p.on('exit', () => resolve(performance.now() - t0));
    p.on('error', () => resolve(NaN));
  });
}

interface Rec {
  id: string;
  scheduledAt: number;
  startedAt?: number;
}

function readRuns(dir: string): Map<string, Rec> {
  const byId = new Map<string, Rec>();
  let names: string[] = [];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return byId;
  }
  for (const n of names) {
    if (!n.endsWith('.jsonl')) continue;
    for (const line of fs.readFileSync(path.join(dir, n), 'utf8').split('\n')) {
      if (!line) continue;
      try {
        const r = JSON.parse(line) as Rec;
        // A run id is unique within its task only (1,000 runs of one second share 65,536 suffixes).
        const key = `${n}/${r.id}`;
        byId.set(key, { ...byId.get(key), ...r });
      } catch {
        /* torn */
      }
    }
  }
  return byId;
}

export async function cronDaemon(o: CronDaemonOptions): Promise<CronDaemonResult> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'jobctl-bench-crond-'));
  fs.mkdirSync(path.join(home, 'tasks'), { recursive: true });
  const lines = ['tasks:'];
  for (let i = 0; i < o.tasks; i++) {
    lines.push(`  t${i}:`, `    schedule: "${o.schedule}"`, '    command: ["true"]', `    history: ${o.history}`, '    overlap: allow');
  }
  fs.writeFileSync(path.join(home, 'tasks', 'bench.yaml'), `${lines.join('\n')}\n`);
  const env = { ...process.env, JOBCTL_HOME: home, NO_COLOR: '1', ...(o.cgroups ? {} : { JOBCTL_CGROUPS: 'off' }) };
  const socket = path.join(home, 'state', 'jobctl.sock');
  const t0 = performance.now();
  const daemon = spawn(process.execPath, [o.cli, 'daemon'], { env, stdio: 'ignore' });
  let upMs = NaN;
  try {
    for (;;) {
      if (daemon.exitCode !== null) throw new Error(`the daemon exited (${daemon.exitCode})`);
      if (fs.existsSync(socket) && !Number.isNaN(await statusRpc(socket, 2000))) break;
      if (performance.now() - t0 > 120_000) throw new Error('the daemon did not answer within 120 s');
      await sleep(20);
    }
    upMs = performance.now() - t0;
    await sleep(o.warmup * 1000);
    const from = Date.now();
    const cpu0 = cpuMsOf(daemon.pid!);
    const rpc: number[] = [];
    const cmd: number[] = [];
    const end = from + o.seconds * 1000;
    let k = 0;
    while (Date.now() < end) {
      const t = Date.now();
      rpc.push(await statusRpc(socket));
      if (k++ % 10 === 5) cmd.push(await runCommand([process.execPath, o.cli, 'status'], env));
      await sleep(Math.max(0, 1000 - (Date.now() - t)));
    }
    const to = Date.now();
    const cpu = cpuMsOf(daemon.pid!) - cpu0;
    const rss = rssOf(daemon.pid!);
    // Let the last runs of the window write their start.
    await sleep(1500);
    const runs = [...readRuns(path.join(home, 'state', 'runs')).values()].filter((r) => r.scheduledAt >= from && r.scheduledAt < to);
    const started = runs.filter((r) => r.startedAt !== undefined);
    const late = started.map((r) => r.startedAt! - r.scheduledAt);
    // Firings of the schedule in [from, to), for each task.
    const expected = o.tasks * firingsBetween({ schedule: o.schedule }, from - 1, to - 1, 1).total;
    return {
      tasks: o.tasks, seconds: o.seconds, expected, started: started.length,
      startedPct: Math.round((started.length / expected) * 1000) / 10,
      lateP50: percentile(late, 50), lateP99: percentile(late, 99), lateMax: late.length ? Math.max(...late) : NaN,
      lastStartOfFirstInstantMs: (() => {
        const first = Math.min(...runs.map((r) => r.scheduledAt));
        const same = started.filter((r) => r.scheduledAt === first);
        return same.length ? Math.max(...same.map((r) => r.startedAt! - first)) : NaN;
      })(),
      cpuPct: Math.round((cpu / (to - from)) * 1000) / 10,
      rssMb: Math.round(rss / 1e5) / 10,
      statusRpcP50: Math.round(percentile(rpc, 50)), statusRpcMax: Math.round(Math.max(...rpc)),
      statusCmdMedian: Math.round(percentile(cmd, 50)), statusCmdMax: Math.round(Math.max(...cmd)),
      upMs: Math.round(upMs),
    };
  } finally {
    await runCommand([process.execPath, o.cli, 'down', '--now'], env);
    if (daemon.exitCode === null) {
      const gone = new Promise((r) => daemon.once('exit', r));
      daemon.kill('SIGTERM');
      await Promise.race([gone, sleep(15_000)]);
      if (daemon.exitCode === null) daemon.kill('SIGKILL');
    }
    fs.rmSync(home, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const opt = (name: string, def: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1]! : def;
  };
  const r = await cronDaemon({
    tasks: Number(opt('tasks', '300')), seconds: Number(opt('seconds', '60')), warmup: Number(opt('warmup', '5')),
    history: Number(opt('history', '40')), schedule: opt('schedule', '* * * * * *'),
    cli: path.resolve(opt('cli', 'dist/bin/jobctl.js')), cgroups: opt('cgroups', 'on') !== 'off',
  });
  console.log(args.includes('--json') ? JSON.stringify(r) : r);
}
