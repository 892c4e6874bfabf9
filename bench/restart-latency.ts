/**
 * How soon a killed worker is replaced, seen from the daemon's own process tree (`npm run build` first):
 * one task of N `sleep` instances; each round SIGKILLs an instance that has run past `start_seconds`
 * (a younger one would be a failed start, which backs off) and times until the daemon has a new child.
 * The daemon's children are read from `/proc/PID/task/<tid>/children` (a few µs a look); the
 * whole-tool benches (bench/run.ts's restart row, the second harness) look for the command line
 * in every process of the host instead, which costs them 10–20 ms a look, for every tool alike.
 *
 *   npx tsx bench/restart-latency.ts [--instances 10] [--kills 15] [--jobctl dist/bin/jobctl.js]
 */
import fs from 'node:fs';
import path from 'node:path';
import { percentile, sleep } from './measure.js';
import { argNumber, DaemonProcess, round } from './daemon-process.js';

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      for (const c of fs.readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ')) if (c.trim()) out.push(Number(c));
    } catch {
      /* a thread gone */
    }
  }
  return out;
}

async function main(): Promise<void> {
  const n = argNumber('instances', 10);
  const kills = argNumber('kills', 15);
  const d = new DaemonProcess('jobctl-bench-restart-');
  fs.writeFileSync(path.join(d.paths.tasks, 'w.yaml'), `tasks:\n  w:\n    command: ["sleep", "86400"]\n    instances: ${n}\n    start_seconds: 1s\n`);
  const born = new Map<number, number>();
  const look = () => {
    const now = performance.now();
    const kids = childrenOf(d.pid);
    for (const k of kids) if (!born.has(k)) born.set(k, now);
    return kids;
  };
  const times: number[] = [];
  try {
    d.start();
    await d.waitForSocket();
    while (look().length < n) await sleep(20);
    await sleep(1500);
    for (let i = 0; i < kills; i++) {
      const before = look();
      const victim = before.find((p) => performance.now() - born.get(p)! > 1500);
      if (victim === undefined) {
        await sleep(500);
        continue;
      }
      const seen = new Set(before);
      const t0 = performance.now();
      process.kill(victim, 'SIGKILL');
      for (;;) {
        const kids = childrenOf(d.pid);
        if (kids.some((k) => !seen.has(k))) break;
        if (performance.now() - t0 > 30_000) throw new Error('no replacement within 30 s');
      }
      times.push(performance.now() - t0);
      look();
      await sleep(200);
    }
  } finally {
    await d.stop();
  }
  console.log(JSON.stringify({ instances: n, kills: times.length, restartMsP50: round(percentile(times, 50)), restartMsMin: round(Math.min(...times)), restartMsMax: round(Math.max(...times)) }));
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
