/**
 * How long a run-history trim holds the event loop, in process (no daemon needed).
 *
 *   npx tsx bench/history-trim.ts [--keep 500] [--trims 5]
 *
 * One task's FileRunHistory with `history: KEEP`: runs are written (a running record, then its
 * end) one per loop turn, until TRIMS rewrites have happened. Reported: the longest single
 * `write` call (the one that triggers a trim, when the trim is synchronous) and the event-loop
 * delay (perf_hooks.monitorEventLoopDelay, max and p99) over the whole time.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { FileRunHistory } from '../src/runtime/run-history-file.js';
import type { RunRecord } from '../src/shared/types.js';
import { argNumber, round } from './daemon-process.js';

async function main(): Promise<void> {
  const keep = argNumber('keep', 500);
  const trims = argNumber('trims', 5);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobctl-bench-trim-'));
  const history = new FileRunHistory({ dir, runLog: (task, id) => path.join(dir, 'logs', task, `${id}.log`) });
  history.retain('t', keep);
  const delay = monitorEventLoopDelay({ resolution: 1 });
  let longestWrite = 0;
  let i = 0;
  const write = (r: RunRecord) => {
    const t0 = performance.now();
    history.write(r);
    longestWrite = Math.max(longestWrite, performance.now() - t0);
  };
  delay.enable();
  const t0 = performance.now();
  while (history.rewrites < trims) {
    const at = 1_700_000_000_000 + i * 1000;
    const base: RunRecord = { id: `r${i.toString(36).padStart(8, '0')}`, task: 't', scheduledAt: at, attempt: 1, trigger: 'schedule', state: 'running', startedAt: at };
    write(base);
    write({ ...base, state: 'succeeded', endedAt: at + 5, exitCode: 0 });
    i++;
    // Settle what the history does in the background; one run per loop turn, as a daemon sees them.
    await new Promise((r) => setImmediate(r));
    await history.flush();
  }
  delay.disable();
  const kept = history.list('t').length;
  await history.close();
  fs.rmSync(dir, { recursive: true, force: true });
  console.log(JSON.stringify({
    keep, runs: i, rewrites: history.rewrites, keptAfter: kept, wallMs: round(performance.now() - t0),
    longestWriteMs: round(longestWrite), loopDelayMs: { p99: round(delay.percentile(99) / 1e6), max: round(delay.max / 1e6) },
  }));
}

await main();
