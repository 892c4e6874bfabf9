import fs from 'node:fs';
import fsp from 'node:fs/promises';

/**
 * Finding processes by their environment (the JOBCTL_* variables every process of a box
 * carries): what a process-group box has instead of a cgroup to find a `setsid` escapee.
 * A walk reads every process's environ, so it costs in proportion to the host: it never runs
 * on the loop's hot path. `EnvScanner` walks asynchronously, one walk at a time, and every
 * caller that asks while a walk is under way is served by the next one (DESIGN.md "The hot
 * path"); `processesWithEnv` is the synchronous walk for the start-up sweep and tests.
 */

/** environ is read as latin1 (one char per byte): the marks must be their UTF-8 bytes the same way. */
const asBytes = (marks: string[]) => marks.map((m) => Buffer.from(m, 'utf8').toString('latin1'));

function matches(environ: string, marks: string[]): boolean {
  return marks.every((m) => environ.includes(m));
}

const isPid = (name: string) => {
  const c = name.charCodeAt(0);
  return c >= 48 && c <= 57;
};

/**
 * Live processes whose environment carries every mark (never this process), in one
 * synchronous walk of /proc. A zombie's environ is empty, so it never matches.
 */
export function processesWithEnv(marks: string[]): number[] {
  let names: string[];
  try {
    names = fs.readdirSync('/proc');
  } catch {
    return [];
  }
  const want = asBytes(marks);
  const out: number[] = [];
  for (const name of names) {
    if (!isPid(name) || Number(name) === process.pid) continue;
    try {
      if (matches(`\0${fs.readFileSync(`/proc/${name}/environ`, 'latin1')}`, want)) out.push(Number(name));
    } catch {
      /* gone */
    }
  }
  return out;
}

/** What one caller waits for: processes with these environment marks, or the live members of a process group. */
type Ask = { marks: string[]; resolve: (pids: number[]) => void } | { pgid: number; resolve: (pids: number[]) => void };

/** Shared asynchronous walks of /proc (see the file comment). */
export class EnvScanner {
  private waiting: Ask[] = [];
  private walking = false;
  /** Walks done, for tests and benchmarks. */
  walks = 0;

  /** The live processes (not this one) whose environment carries every mark. */
  find(marks: string[]): Promise<number[]> {
    return this.ask((resolve) => ({ marks: asBytes(marks), resolve }));
  }

  /** The live (not zombie) members of a process group, wherever they are in the process tree. */
  findGroup(pgid: number): Promise<number[]> {
    return this.ask((resolve) => ({ pgid, resolve }));
  }

  private ask(make: (resolve: (pids: number[]) => void) => Ask): Promise<number[]> {
    return new Promise((resolve) => {
      this.waiting.push(make(resolve));
      if (!this.walking) void this.walk();
    });
  }

  private async walk(): Promise<void> {
    this.walking = true;
    try {
      while (this.waiting.length) {
        const asks = this.waiting;
        this.waiting = [];
        const found = asks.map(() => [] as number[]);
        try {
          await this.readAll(asks, found);
        } catch {
          /* no /proc: nothing found */
        }
        this.walks++;
        asks.forEach((a, i) => a.resolve(found[i]!));
      }
    } finally {
      this.walking = false;
    }
  }

  /** One walk for every ask: environ where an ask wants marks, stat where one wants a group. */
  private async readAll(asks: Ask[], found: number[][]): Promise<void> {
    const wantEnv = asks.some((a) => 'marks' in a);
    const wantStat = asks.some((a) => 'pgid' in a);
    const names = (await fsp.readdir('/proc')).filter((n) => isPid(n) && Number(n) !== process.pid);
    const BATCH = 32;
    for (let i = 0; i < names.length; i += BATCH) {
      await Promise.all(names.slice(i, i + BATCH).map(async (name) => {
        const pid = Number(name);
        try {
          if (wantStat) {
            const stat = await fsp.readFile(`/proc/${name}/stat`, 'latin1');
            const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
            const live = f[0] !== 'Z' && f[0] !== 'X';
            asks.forEach((a, k) => 'pgid' in a && live && Number(f[2]) === a.pgid && found[k]!.push(pid));
          }
          if (wantEnv) {
            const environ = `\0${await fsp.readFile(`/proc/${name}/environ`, 'latin1')}`;
            asks.forEach((a, k) => 'marks' in a && matches(environ, a.marks) && found[k]!.push(pid));
          }
        } catch {
          /* gone, or not ours to read */
        }
      }));
    }
  }
}
