/**
 * Cron start lateness: N second-level tasks scheduled for D seconds through the real
 * Scheduler + CronRunner (real processes, real log files, real db.json).
 *
 *   npx tsx bench/cron-lateness.ts [--tasks 1000] [--seconds 60] [--every 10]
 *
 * Task i runs `true` on schedule `(i % every)-59/every * * * * *`, so 1000 tasks with
 * --every 10 make 100 firings every second, spread over the ten seconds.
 * Reports, over all firings: the scheduler's lateness (timer callback - cron time) and the
 * start lateness (process spawned - cron time), p50/p99/max, and the CPU the host process
 * used (scheduler + spawning + logging), as % of one core.
 */
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import { CronRunner } from '../src/runtime/cron-runner.js';
import { FileRunHistory } from '../src/runtime/run-history-file.js';
import { lastFiredMarks } from '../src/runtime/task-marks.js';
import { Scheduler } from '../src/runtime/scheduler.js';
import { StateStore } from '../src/runtime/state-store.js';
import { homePaths } from '../src/shared/paths.js';
import { DEFAULTS } from '../src/config/defaults.js';
import type { CronTaskSpec, RunRecord } from '../src/shared/types.js';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}
const N = arg('tasks', 1000);
const SECONDS = arg('seconds', 60);
const EVERY = arg('every', 10);

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : NaN;
};

async function main(): Promise<void> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'jobctl-bench-cron-'));
  const paths = homePaths(home);
  const store = await StateStore.open(paths.db, { childrenFile: paths.children });
  const fireLate: number[] = [];
  const tasks = new Map<string, CronRunner>();
  const scheduler = new Scheduler();
  const history = new FileRunHistory({ dir: paths.runs, runLog: paths.runLog });
  const lastFired = lastFiredMarks(store);
  // The scheduler's own lateness: a registration beside each task's, seeing the same firings.
  const watch = (f: { onTime: number[]; firedAt: number }) => {
    for (const at of f.onTime) fireLate.push(f.firedAt - at);
  };
  for (let i = 0; i < N; i++) {
    const spec: CronTaskSpec = {
      name: `t${i}`, group: 'bench', kind: 'cron', command: ['true'], cwd: home, env: {}, enabled: true,
      stopSignal: 'SIGTERM', stopTimeoutMs: 5000, logs: { ...DEFAULTS.logs }, source: { file: '', line: 0 },
      schedule: `${i % EVERY}-59/${EVERY} * * * * *`, jitterMs: 0, retries: 0, retryDelayMs: 1000,
      overlap: 'allow', catchup: 'none', history: 5,
    };
    const runner = new CronRunner({ spec, paths, store, scheduler, history, lastFired });
    tasks.set(spec.name, runner);
    await runner.start();
    scheduler.register({ name: `${spec.name}-watch`, schedule: spec.schedule!, jitterMs: 0 }, watch);
  }
  const cpu0 = process.cpuUsage();
  const t0 = Date.now();
  scheduler.start();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  scheduler.stop();
  const wall = Date.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  await Promise.all([...tasks.values()].map((t) => t.stop()));
  const runs: RunRecord[] = [...tasks.keys()].flatMap((name) => history.list(name));
  const startLate = runs.filter((r) => r.startedAt !== undefined).map((r) => r.startedAt! - r.scheduledAt);
  await store.close();
  fs.rmSync(home, { recursive: true, force: true });
  const result = {
    tasks: N, seconds: SECONDS, firings: fireLate.length, firingsPerSecond: Math.round(fireLate.length / (wall / 1000)),
    schedulerLatenessMs: { p50: pct(fireLate, 50), p99: pct(fireLate, 99), max: Math.max(...fireLate) },
    startLatenessMs: { p50: pct(startLate, 50), p99: pct(startLate, 99), max: Math.max(...startLate) },
    cpuPercentOfOneCore: Math.round(((cpu.user + cpu.system) / 1000 / wall) * 1000) / 10,
    dbWrites: store.writes,
    historyBytesWritten: history.bytesWritten,
    journalBytesWritten: store.journal.bytesWritten,
  };
  console.log(JSON.stringify(result, null, 2));
}

void main();
