/**
 * What containment costs per process start (issue 13): a start with a cgroup box (mkdir of
 * the v2 leaf and the v1 memory leaf, the join shell, rmdir after) against a
 * process-group box (JOBCTL_CGROUPS=off: the group plus the environment sweep at exit) and
 * a bare spawn. For each: event-loop time of open + spawn (what blocks the daemon), and the
 * whole cycle start -> exit -> box empty -> released, one at a time.
 *
 *   sudo npx tsx bench/containment-cost.ts
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Containment, type Box } from '../src/runtime/process/contain.js';
import { spawnProcess } from '../src/runtime/process/start.js';

const N = 60;

async function measure(label: string, open: () => Box | undefined): Promise<void> {
  let blocked = 0;
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const s = performance.now();
    const box = open();
    const started = spawnProcess({ command: ['true'], cwd: '/', env: {}, ...(box ? { joinCgroups: box.joinFiles } : {}) });
    blocked += performance.now() - s;
    const p = await started;
    box?.attach(p.pgid);
    p.stdout.resume();
    p.stderr.resume();
    await p.exit;
    if (box) {
      await box.clear('SIGTERM', 1000);
      box.release();
    }
  }
  const total = performance.now() - t0;
  console.log(`${label.padEnd(28)} ${(blocked / N).toFixed(2)} ms event loop per start, ${(total / N).toFixed(2)} ms per start-to-released cycle`);
}

const homeA = fs.mkdtempSync(path.join(os.tmpdir(), 'jobctl-bench-cg-'));
const homeB = fs.mkdtempSync(path.join(os.tmpdir(), 'jobctl-bench-pg-'));
const cg = Containment.open(homeA);
process.env.JOBCTL_CGROUPS = 'off';
const pg = Containment.open(homeB);
delete process.env.JOBCTL_CGROUPS;
console.log(`cgroup box: ${cg.info().description}`);
let i = 0;
for (let round = 0; round < 2; round++) {
  await measure('bare spawn (no box)', () => undefined);
  if (cg.mode === 'cgroup') await measure('cgroup box', () => cg.open({ task: 'bench', instance: i++ }));
  await measure('process-group box', () => pg.open({ task: 'bench', instance: i++ }));
}
cg.close();
fs.rmSync(homeA, { recursive: true, force: true });
fs.rmSync(homeB, { recursive: true, force: true });
