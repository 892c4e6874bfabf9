/**
 * Workloads at scale (issue 14), called from bench/run.ts:
 *  - 1,000 `sleep` processes per tool: time to all up, daemon RSS at 0 / 100 / 1,000, status
 *    time, and the daemon's CPU over 10 s of nothing happening;
 *  - jobctl's state under load: 300 cron tasks every second with history 5 and 500, the
 *    history already full, then daemon CPU, bytes written per second, RSS, and how soon
 *    each child's record is on disk after its spawn;
 *  - `jobctl tui` and `jobctl top` with 1,000 tasks: time to the first full screen, idle CPU.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { anonRssOf, cpuMsOf, ioOf, median, percentile, pidsWithArg, rssOf, sleep, until, uptimeMs } from './measure.js';
import { ROOT, WORK, type Tool } from './tools.js';

const JOBCTL = path.join(ROOT, 'dist/bin/jobctl.js');
export type Rec = (tool: string, measure: string, v: number) => void;

/** CPU of a process over a window with nothing asked of it. */
async function idleCpuMs(pid: number, windowMs: number): Promise<number> {
  const c0 = cpuMsOf(pid);
  await sleep(windowMs);
  return cpuMsOf(pid) - c0;
}

export async function thousand(t: Tool, rec: Rec, idleWindowMs = 10_000): Promise<void> {
  const pid = t.daemonPid();
  await sleep(3000);
  rec(t.name, 'rss_0_MB', rssOf(pid) / 1e6);
  rec(t.name, 'anon_0_MB', anonRssOf(pid) / 1e6);
  const t0 = performance.now();
  await t.start1000();
  const dt = await until(() => pidsWithArg(t.marker1k).length >= 1000, 120_000, 20);
  rec(t.name, 'up1000_ms', Number.isNaN(dt) ? NaN : performance.now() - t0);
  await sleep(3000);
  rec(t.name, 'rss_1000_MB', rssOf(pid) / 1e6);
  rec(t.name, 'anon_1000_MB', anonRssOf(pid) / 1e6);
  const [bin, argv, env] = t.statusArgv();
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const s0 = performance.now();
    await execa(bin, argv, { env: { ...process.env, ...env }, reject: false });
    times.push(performance.now() - s0);
  }
  rec(t.name, 'status_1000_ms', median(times));
  const lastLook = performance.now();
  // Nothing happening, right after a status: jobctl samples CPU/RSS for a minute after
  // someone looked, as it does while a TUI is attached.
  rec(t.name, 'idle_cpu_1000_looked_ms', (await idleCpuMs(pid, idleWindowMs)) * (10_000 / idleWindowMs));
  // Nothing happening and nobody looking (jobctl's look window of 60 s over).
  if (t.name === 'jobctl') await sleep(Math.max(0, 61_000 - (performance.now() - lastLook)));
  rec(t.name, 'idle_cpu_1000_ms', (await idleCpuMs(pid, idleWindowMs)) * (10_000 / idleWindowMs));
  await t.stop1000();
  await until(() => pidsWithArg(t.marker1k).length === 0, 120_000, 50);
}

// ---- jobctl state under cron load ----

export interface CronStateResult {
  history: number;
  tasks: number;
  seconds: number;
  /** Runs started in the window (child records seen in the journal). */
  runs: number;
  cpuPercent: number;
  cpuMsPerRun: number;
  wcharPerRun: number;
  wcharPerSec: number;
  writeBytesPerSec: number;
  historyBytesPerSec: number;
  rssMB: number;
  childRecord: { n: number; p50: number; p99: number; max: number };
}

/**
 * 300 tasks firing every second, each file filled to between `history` and 2 × `history`
 * finished runs (a daemon that has been running a while: trims fall at different times).
 */
export async function cronState(history: number, opts: { tasks?: number; seconds?: number; warmup?: number } = {}): Promise<CronStateResult> {
  const N = opts.tasks ?? 300;
  const seconds = opts.seconds ?? 30;
  const home = path.join(WORK, `jobctl-cron-h${history}`);
  fs.rmSync(home, { recursive: true, force: true });
  fs.mkdirSync(path.join(home, 'tasks'), { recursive: true });
  fs.writeFileSync(path.join(home, 'tasks/cron.yaml'), `tasks:\n${Array.from({ length: N }, (_, i) => `  c${i}:\n    schedule: "* * * * * *"\n    command: ["true"]\n    history: ${history}\n`).join('')}`);
  const runs = path.join(home, 'state/runs');
  fs.mkdirSync(runs, { recursive: true });
  const base = Date.now() - 10 * 86_400_000;
  for (let i = 0; i < N; i++) {
    const count = history + (i % history);
    const lines: string[] = [];
    for (let k = 0; k < count; k++) {
      const at = base + k * 1000;
      const r = { id: `pre${k}-c${i}`, task: `c${i}`, scheduledAt: at, startedAt: at + 1, attempt: 1, trigger: 'schedule', state: 'running' };
      lines.push(JSON.stringify(r), JSON.stringify({ ...r, state: 'succeeded', endedAt: at + 4, exitCode: 0, signal: null }));
    }
    fs.writeFileSync(path.join(runs, `c${i}.jsonl`), lines.join('\n') + '\n');
  }
  // The daemon is started and watched from /proc only: under this load a shared machine may
  // not leave it time to answer its socket within `jobctl up`'s wait.
  fs.mkdirSync(path.join(home, 'state'), { recursive: true });
  const logFd = fs.openSync(path.join(home, 'state/daemon.log'), 'a');
  const daemon = spawn(process.execPath, ['--max-semi-space-size=1', JOBCTL, '--home', home, 'daemon'], { detached: true, stdio: ['ignore', logFd, logFd], env: { ...process.env, NO_COLOR: '1' } });
  fs.closeSync(logFd);
  const pid = daemon.pid!;
  const exited = new Promise((r) => daemon.once('exit', r));
  try {
    await until(() => fs.readFileSync(path.join(home, 'state/daemon.log'), 'utf8').includes(' up: '), 120_000, 50);
    await sleep((opts.warmup ?? 5) * 1000);
    const journal = path.join(home, 'state/children.jsonl');
    const latencies: number[] = [];
    const seen = new Set<string>();
    let offset = 0;
    let ino = 0;
    let stop = false;
    // Tail the journal: each 'add' read as it is appended, aged by its /proc start time.
    const tail = (async () => {
      while (!stop) {
        try {
          const st = fs.statSync(journal);
          if (st.ino !== ino || st.size < offset) {
            // Compacted: what it holds now counts as runs, but was not read as it came (no age).
            ino = st.ino;
            const text = fs.readFileSync(journal, 'utf8');
            offset = Buffer.byteLength(text.slice(0, text.lastIndexOf('\n') + 1));
            for (const line of text.split('\n')) if (line.startsWith('{"op":"add"')) seen.add((JSON.parse(line) as { key: string }).key);
          } else if (st.size > offset) {
            const fd = fs.openSync(journal, 'r');
            const buf = Buffer.alloc(st.size - offset);
            fs.readSync(fd, buf, 0, buf.length, offset);
            fs.closeSync(fd);
            const now = uptimeMs();
            const text = buf.toString('utf8');
            const end = text.lastIndexOf('\n') + 1;
            offset += Buffer.byteLength(text.slice(0, end));
            for (const line of text.slice(0, end).split('\n')) {
              if (!line) continue;
              const e = JSON.parse(line) as { op: string; key: string; child?: { startTime?: number } };
              if (e.op !== 'add' || seen.has(e.key) || e.child?.startTime === undefined) continue;
              seen.add(e.key);
              latencies.push(Math.max(0, now - e.child.startTime * 10));
            }
          }
        } catch {
          /* between a compaction's rename and our read */
        }
        await sleep(3);
      }
    })();
    const runsBytes0 = dirBytes(runs);
    seen.clear();
    const c0 = cpuMsOf(pid);
    const io0 = ioOf(pid);
    const t0 = performance.now();
    await sleep(seconds * 1000);
    const wall = (performance.now() - t0) / 1000;
    const cpu = cpuMsOf(pid) - c0;
    const io1 = ioOf(pid);
    const rss = rssOf(pid);
    const runsBytes1 = dirBytes(runs);
    stop = true;
    await tail;
    return {
      history, tasks: N, seconds: Math.round(wall),
      runs: seen.size,
      cpuPercent: Math.round((cpu / 10 / wall) * 10) / 10,
      cpuMsPerRun: Math.round((cpu / Math.max(1, seen.size)) * 100) / 100,
      wcharPerRun: Math.round((io1.wchar - io0.wchar) / Math.max(1, seen.size)),
      wcharPerSec: Math.round((io1.wchar - io0.wchar) / wall),
      writeBytesPerSec: Math.round((io1.writeBytes - io0.writeBytes) / wall),
      historyBytesPerSec: Math.round((runsBytes1 - runsBytes0) / wall),
      rssMB: Math.round(rss / 1e5) / 10,
      childRecord: { n: latencies.length, p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: Math.max(...latencies) },
    };
  } finally {
    daemon.kill('SIGTERM');
    await Promise.race([exited, sleep(60_000)]);
    if (daemon.exitCode === null && daemon.signalCode === null) daemon.kill('SIGKILL');
  }
}

function dirBytes(dir: string): number {
  let n = 0;
  for (const f of fs.readdirSync(dir)) n += fs.statSync(path.join(dir, f)).size;
  return n;
}

// ---- TUI and top with 1,000 tasks ----

export interface ScreenResult {
  firstFullScreenMs: number;
  rows: number;
  idleCpuMsPer10s: number;
  daemonCpuMsPer10s: number;
}

export async function screens(): Promise<{ tui: ScreenResult; top: ScreenResult; daemonAloneCpuMsPer10s: number }> {
  const home = path.join(WORK, 'jobctl-1000-tasks');
  fs.rmSync(home, { recursive: true, force: true });
  fs.mkdirSync(path.join(home, 'tasks'), { recursive: true });
  fs.writeFileSync(path.join(home, 'tasks/many.yaml'), `tasks:\n${Array.from({ length: 1000 }, (_, i) => `  t${i}:\n    schedule: "0 0 1 1 *"\n    command: ["true"]\n`).join('')}`);
  const env = { ...process.env, JOBCTL_HOME: home, NO_COLOR: '1' };
  await execa(process.execPath, [JOBCTL, 'up', '--timeout', '120'], { env });
  const daemon = Number(fs.readFileSync(path.join(home, 'state/jobctl.pid'), 'utf8').split(' ')[0]);
  const socket = `jobctl-bench-${process.pid}`;
  const tmux = (...a: string[]) => execFileSync('tmux', ['-L', socket, ...a], { encoding: 'utf8' });
  try {
    await sleep(2000);
    const daemonAlone = await idleCpuMs(daemon, 10_000);
    const one = async (cmd: 'tui' | 'top'): Promise<ScreenResult> => {
      const rowsOf = (s: string) => s.split('\n').filter((l) => /(^|[\sx›>])t\d{1,3}\s/.test(l)).length;
      const t0 = performance.now();
      tmux('new-session', '-d', '-s', cmd, '-x', '160', '-y', '50', `exec env JOBCTL_HOME=${home} NO_COLOR=1 ${process.execPath} ${JOBCTL} ${cmd}`);
      const pid = Number(tmux('list-panes', '-t', cmd, '-F', '#{pane_pid}').trim());
      const seen: Array<{ at: number; rows: number }> = [];
      while (performance.now() - t0 < 8000) {
        seen.push({ at: performance.now() - t0, rows: rowsOf(tmux('capture-pane', '-p', '-t', cmd)) });
        await sleep(10);
      }
      const full = seen.at(-1)!.rows;
      const first = seen.find((s) => s.rows >= full && full > 0)?.at ?? NaN;
      const d0 = cpuMsOf(daemon);
      const idle = await idleCpuMs(pid, 10_000);
      const daemonCpu = cpuMsOf(daemon) - d0;
      tmux('kill-session', '-t', cmd);
      return { firstFullScreenMs: Math.round(first), rows: full, idleCpuMsPer10s: idle, daemonCpuMsPer10s: daemonCpu };
    };
    const tui = await one('tui');
    const top = await one('top');
    return { tui, top, daemonAloneCpuMsPer10s: daemonAlone };
  } finally {
    try {
      tmux('kill-server');
    } catch {
      /* gone */
    }
    await execa(process.execPath, [JOBCTL, 'down', '--now'], { env, reject: false });
  }
}
