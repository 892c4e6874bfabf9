/**
 * The longest stretches a V8 CPU profile spent busy between two idle samples: how long the
 * daemon's loop was blocked at a stretch, and by what (self time per function, ms). A stretch
 * is wall-clock, so a loaded machine stretches it; its composition and the count of long ones
 * are the comparable part. `--from-ms` skips the start-up (reload.ts prints `saveAtMs`).
 *
 *   BENCH_NODE_FLAGS="--cpu-prof --cpu-prof-dir=DIR" npx tsx bench/reload.ts save --tasks 1000
 *   npx tsx bench/prof-stretches.ts DIR/*.cpuprofile [--phases] [--top 5] [--from-ms T] [--to-ms T] [--json]
 *
 * --phases: the longest loop phases (one top-level callback each, see loopPhases) instead.
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

/**
 * Runs of consecutive samples with one key (`keyOf`: undefined ends a run, `null` joins the
 * run under way), longest first, each with its self time per function.
 */
function runs(p: Profile, keyOf: (n: ProfileNode) => number | null | undefined, name: (key: number) => string | undefined, top: number): Stretch[] {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const out: Stretch[] = [];
  let t = 0;
  let cur: number | undefined;
  let start = 0;
  let samples = 0;
  let self = new Map<string, number>();
  const close = (end: number) => {
    if (cur === undefined) return;
    const sorted = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, v]) => [k, Math.round(v / 100) / 10] as [string, number]);
    const phase = name(cur);
    out.push({ atMs: Math.round(start / 1000), wallMs: Math.round((end - start) / 100) / 10, samples, top: phase ? [[phase, 0], ...sorted] : sorted });
    cur = undefined;
    self = new Map();
    samples = 0;
  };
  for (let i = 0; i < p.samples.length; i++) {
    const dt = p.timeDeltas[i] ?? 0;
    t += dt;
    const node = byId.get(p.samples[i]!)!;
    const key = keyOf(node);
    if (key === undefined) {
      close(t - dt);
      continue;
    }
    if (cur === undefined || (key !== null && key !== cur)) {
      close(t - dt);
      cur = key ?? node.id;
      start = t - dt;
    }
    samples++;
    const fn = frameName(node);
    self.set(fn, (self.get(fn) ?? 0) + dt);
  }
  close(t);
  return out.sort((a, b) => b.wallMs - a.wallMs);
}

/**
 * Loop phases: runs of consecutive samples under one top-level callback (all of a turn's
 * immediates run under one `processImmediate`, its timers under one `processTimers`, each I/O
 * callback under its own), GC counted with the phase it interrupts. A request on the socket
 * waits for at most the phase under way: the longest phase is the loop's longest block, where
 * a busy stretch may be many short turns back to back. Longest first.
 */
export function loopPhases(p: Profile, top = 6): Stretch[] {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const rootOf = new Map<number, number>();
  const mark = (id: number, under: number) => {
    rootOf.set(id, under);
    for (const c of byId.get(id)!.children ?? []) mark(c, under);
  };
  for (const c of p.nodes[0]!.children ?? []) mark(c, c);
  return runs(p, (n) => {
    const fn = n.callFrame.functionName;
    if (fn === IDLE) return undefined;
    return fn === '(garbage collector)' || fn === '(program)' ? null : rootOf.get(n.id);
  }, (key) => frameName(byId.get(key)!), top);
}

/** Busy stretches (consecutive non-idle samples), longest first. */
export function busyStretches(p: Profile, top = 6): Stretch[] {
  return runs(p, (n) => (n.callFrame.functionName === IDLE ? undefined : 0), () => undefined, top);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const files = process.argv.slice(2).filter((a) => a.endsWith('.cpuprofile'));
  const top = argNumber('top', 5);
  const fromMs = argNumber('from-ms', 0);
  for (const f of files) {
    const p = JSON.parse(fs.readFileSync(f, 'utf8')) as Profile;
    const toMs = argNumber('to-ms', Infinity);
    const all = (process.argv.includes('--phases') ? loopPhases(p) : busyStretches(p)).filter((s) => s.atMs >= fromMs && s.atMs <= toMs);
    const over = (ms: number) => all.filter((s) => s.wallMs > ms).length;
    const summary = { file: f, stretches: all.length, over50ms: over(50), over100ms: over(100), over300ms: over(300), longest: all.slice(0, top) };
    if (process.argv.includes('--json')) console.log(JSON.stringify(summary));
    else {
      console.log(`${f}: ${all.length} ${process.argv.includes('--phases') ? 'loop phases' : 'busy stretches'}, > 50 ms: ${summary.over50ms}, > 100 ms: ${summary.over100ms}, > 300 ms: ${summary.over300ms}`);
      for (const s of summary.longest) console.log(`  at ${s.atMs} ms: ${s.wallMs} ms (${s.samples} samples) — ${s.top.map(([n, ms]) => `${n} ${ms}`).join(' · ')}`);
    }
  }
}
