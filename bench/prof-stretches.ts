/**
 * The longest stretches a V8 CPU profile spent busy between two idle samples: how long the
 * daemon's loop was blocked at a stretch, and by what (self time per function, ms). A stretch
 * is wall-clock, so a loaded machine stretches it; its composition and the count of long ones
 * are the comparable part. `--from-ms` skips the start-up (reload.ts prints `saveAtMs`).
 *
 *   BENCH_NODE_FLAGS="--cpu-prof --cpu-prof-dir=DIR" npx tsx bench/reload.ts save --tasks 1000
 *   npx tsx bench/prof-stretches.ts DIR/*.cpuprofile [--top 5] [--from-ms T] [--json]
 */
import fs from 'node:fs';
import { argNumber } from './daemon-process.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number }

export interface Stretch { atMs: number; wallMs: number; samples: number; top: Array<[string, number]> }

const IDLE = '(idle)';

function frameName(n: ProfileNode): string {
  const f = n.callFrame;
  const file = f.url ? f.url.slice(f.url.lastIndexOf('/') + 1) : '';
  return `${f.functionName || '(anonymous)'}${file ? ` ${file}:${f.lineNumber + 1}` : ''}`;
}

/** Busy stretches (consecutive non-idle samples), longest first. */
export function busyStretches(p: Profile, top = 6): Stretch[] {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const out: Stretch[] = [];
  let t = 0;
  let start = -1;
  let self = new Map<string, number>();
  let samples = 0;
  const close = (end: number) => {
    if (start < 0) return;
    const sorted = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, v]) => [k, Math.round(v / 100) / 10] as [string, number]);
    out.push({ atMs: Math.round(start / 1000), wallMs: Math.round((end - start) / 100) / 10, samples, top: sorted });
    start = -1;
    self = new Map();
    samples = 0;
  };
  for (let i = 0; i < p.samples.length; i++) {
    const dt = p.timeDeltas[i] ?? 0;
    t += dt;
    const node = byId.get(p.samples[i]!)!;
    if (node.callFrame.functionName === IDLE) {
      close(t - dt);
      continue;
    }
    if (start < 0) start = t - dt;
    samples++;
    const name = frameName(node);
    self.set(name, (self.get(name) ?? 0) + dt);
  }
  close(t);
  return out.sort((a, b) => b.wallMs - a.wallMs);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const files = process.argv.slice(2).filter((a) => a.endsWith('.cpuprofile'));
  const top = argNumber('top', 5);
  const fromMs = argNumber('from-ms', 0);
  for (const f of files) {
    const p = JSON.parse(fs.readFileSync(f, 'utf8')) as Profile;
    const all = busyStretches(p).filter((s) => s.atMs >= fromMs);
    const over = (ms: number) => all.filter((s) => s.wallMs > ms).length;
    const summary = { file: f, stretches: all.length, over50ms: over(50), over100ms: over(100), over300ms: over(300), longest: all.slice(0, top) };
    if (process.argv.includes('--json')) console.log(JSON.stringify(summary));
    else {
      console.log(`${f}: ${all.length} busy stretches, > 50 ms: ${summary.over50ms}, > 100 ms: ${summary.over100ms}, > 300 ms: ${summary.over300ms}`);
      for (const s of summary.longest) console.log(`  at ${s.atMs} ms: ${s.wallMs} ms (${s.samples} samples) — ${s.top.map(([n, ms]) => `${n} ${ms}`).join(' · ')}`);
    }
  }
}
