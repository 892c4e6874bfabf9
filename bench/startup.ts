/**
 * Start-up with long run histories, timed from outside (`npm run build` first).
 *
 *   npx tsx bench/startup.ts [--tasks 300] [--runs 500] [--jobctl dist/bin/jobctl.js]
 *
 * Writes N cron tasks (`history: RUNS`, a schedule that does not fire during the measure) and,
 * for each, a run history of RUNS finished runs (state/runs/<task>.jsonl, as the daemon writes
 * it). Then spawns `jobctl daemon` and reports `socketMs`: spawn until `hello` answers,
 * `cpuMsToSocket`: the daemon's CPU time by then (steadier than wall time on a shared
 * machine), and `statusMs`: the first `status` after that.
 */
import fs from 'node:fs';
import path from 'node:path';
import { argNumber, DaemonProcess, round } from './daemon-process.js';
import { cpuMsOf } from './measure.js';

async function main(): Promise<void> {
  const n = argNumber('tasks', 300);
  const runs = argNumber('runs', 500);
  const d = new DaemonProcess('jobctl-bench-startup-');
  const names = Array.from({ length: n }, (_, i) => `c${i}`);
  fs.writeFileSync(path.join(d.paths.tasks, 'cron.yaml'), `tasks:\n${names.map((t) => `  ${t}:\n    command: ["true"]\n    schedule: "0 0 1 1 *"\n    history: ${runs}\n`).join('')}`);
  fs.mkdirSync(d.paths.runs, { recursive: true });
  const t0 = Date.now() - runs * 60_000;
  for (const task of names) {
    const lines: string[] = [];
    for (let i = 0; i < runs; i++) {
      const at = t0 + i * 60_000;
      const id = `${at.toString(36)}-${i.toString(36).padStart(4, '0')}`;
      const base = { id, task, scheduledAt: at, attempt: 1, trigger: 'schedule' };
      lines.push(JSON.stringify({ ...base, state: 'running', startedAt: at + 3 }));
      lines.push(JSON.stringify({ ...base, state: i % 7 === 0 ? 'failed' : 'succeeded', startedAt: at + 3, endedAt: at + 40, exitCode: i % 7 === 0 ? 1 : 0 }));
    }
    fs.writeFileSync(path.join(d.paths.runs, `${task}.jsonl`), lines.join('\n') + '\n');
  }
  try {
    d.start();
    const socketMs = await d.waitForSocket();
    // CPU the daemon used until then: less at the mercy of a shared machine than wall time.
    const cpuMs = cpuMsOf(d.pid);
    const first = await d.status();
    const restarts = first.result.tasks.reduce((a, t) => a + t.restarts, 0);
    console.log(JSON.stringify({ tasks: n, runs, socketMs: round(socketMs), cpuMsToSocket: cpuMs, statusMs: round(first.ms), tasksShown: first.result.tasks.length, lastRuns: first.result.tasks.filter((t) => t.lastRun).length, restarts }));
  } finally {
    await d.stop();
  }
}

await main();
