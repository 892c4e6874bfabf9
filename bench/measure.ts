/** Tool-agnostic measuring from /proc, shared by the bench workloads. */
import fs from 'node:fs';
import path from 'node:path';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2) : NaN;
};

export const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : NaN;
};

/** Live `sleep <marker>` processes (exactly that argv). */
export function pidsWithArg(marker: string): number[] {
  const out: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8');
      const argv = cmd.split('\0');
      if (path.basename(argv[0] ?? '') === 'sleep' && argv[1] === marker && argv.length === 3) {
        const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
        if (stat[stat.lastIndexOf(')') + 2] !== 'Z') out.push(Number(name));
      }
    } catch {
      /* gone */
    }
  }
  return out;
}

/**
 * RssAnon: the resident memory of the process's own (its heap, stacks, buffers), VmRSS less the
 * pages of mapped files (a Node daemon maps ~38–50 MB of the node binary's code, shared with every
 * other node process, a Python one ~5 MB). Both are recorded: the peers' binaries differ.
 */
export function anonRssOf(pid: number): number {
  const m = /RssAnon:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

export function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

/** User + system CPU of a process, in ms. */
export function cpuMsOf(pid: number): number {
  const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

/** Bytes a process has written: through write calls (`wchar`) and to storage (`write_bytes`). */
export function ioOf(pid: number): { wchar: number; writeBytes: number } {
  const text = fs.readFileSync(`/proc/${pid}/io`, 'utf8');
  return { wchar: Number(/wchar: (\d+)/.exec(text)?.[1]), writeBytes: Number(/^write_bytes: (\d+)/m.exec(text)?.[1]) };
}

/** Seconds since boot, as /proc/uptime says (10 ms resolution, like process start times). */
export function uptimeMs(): number {
  return Number(fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 1000;
}

export async function until(cond: () => boolean, timeoutMs: number, pollMs = 2): Promise<number> {
  const t0 = performance.now();
  while (!cond()) {
    if (performance.now() - t0 > timeoutMs) return NaN;
    await sleep(pollMs);
  }
  return performance.now() - t0;
}

/**
 * Call `start(i, due)` for i = 0..n-1 at `rate` a second from now, on a timer, every start
 * whose time has come in one pass (as a scheduler tick would). Resolves after the last call.
 */
export function paced(n: number, rate: number, start: (i: number, due: number) => void): Promise<void> {
  const t0 = performance.now();
  return new Promise<void>((resolve) => {
    let i = 0;
    const tick = () => {
      const now = performance.now();
      while (i < n && t0 + (i * 1000) / rate <= now) {
        start(i, t0 + (i * 1000) / rate);
        i++;
      }
      if (i >= n) resolve();
      else setTimeout(tick, Math.max(0, t0 + (i * 1000) / rate - performance.now()));
    };
    tick();
  });
}
