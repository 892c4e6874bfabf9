/**
 * A jobctl daemon in a process of its own, for benchmarks that time it from outside:
 * a private home, the daemon's stderr in a file, its socket asked as the CLI asks it.
 * `--jobctl PATH` (or BENCH_JOBCTL) picks the build to time, so a branch and main can be
 * measured one after the other with the same benchmark.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { JobctlClient } from '../src/api/client.js';
import { DAEMON_NODE_FLAGS } from '../src/cli/install/units.js';
import { homePaths } from '../src/shared/paths.js';
import type { Results } from '../src/shared/protocol.js';
import { percentile, sleep } from './measure.js';

export function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

export function argNumber(name: string, def: number): number {
  const v = argValue(name);
  return v === undefined ? def : Number(v);
}

/** The jobctl entry point to run: --jobctl, BENCH_JOBCTL, or this checkout's build. */
export function jobctlEntry(): string {
  return path.resolve(argValue('jobctl') ?? process.env.BENCH_JOBCTL ?? path.join(import.meta.dirname, '../dist/bin/jobctl.js'));
}

export class DaemonProcess {
  readonly home: string;
  readonly paths: ReturnType<typeof homePaths>;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  /** performance.now() when the process was spawned. */
  spawnedAt = 0;

  constructor(prefix = 'jobctl-bench-') {
    this.home = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    this.paths = homePaths(this.home);
    fs.mkdirSync(this.paths.tasks, { recursive: true });
  }

  get pid(): number {
    return this.child?.pid ?? -1;
  }

  /**
   * Spawn `jobctl daemon` (as `jobctl up` does: the same node flags), stderr to
   * state/bench-daemon.log. BENCH_NODE_FLAGS adds flags (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`).
   */
  start(extraNodeFlags: string[] = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean)): void {
    fs.mkdirSync(this.paths.state, { recursive: true, mode: 0o700 });
    const log = fs.openSync(this.logFile, 'a');
    this.spawnedAt = performance.now();
    this.child = spawn(process.execPath, [...DAEMON_NODE_FLAGS, ...extraNodeFlags, jobctlEntry(), 'daemon'], {
      stdio: ['ignore', log, log], env: { ...process.env, JOBCTL_HOME: this.home, NO_COLOR: '1' },
    });
    fs.closeSync(log);
    const child = this.child;
    this.exited = new Promise((r) => child.once('exit', () => r()));
  }

  get logFile(): string {
    return path.join(this.paths.state, 'bench-daemon.log');
  }

  log(): string {
    try {
      return fs.readFileSync(this.logFile, 'utf8');
    } catch {
      return '';
    }
  }

  /** Wait until `hello` answers; ms since spawn. */
  async waitForSocket(timeoutMs = 600_000): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      try {
        const c = await JobctlClient.connect(this.paths.socket, { connectTimeoutMs: 1000 });
        try {
          await c.call('hello', { client: 'bench' }, timeoutMs);
          return performance.now() - this.spawnedAt;
        } finally {
          c.close();
        }
      } catch {
        if (performance.now() > deadline) throw new Error(`the daemon did not answer within ${timeoutMs} ms; log:\n${this.log().slice(-2000)}`);
        await sleep(5);
      }
    }
  }

  /** One `status` as the CLI asks it (a fresh connection); its answer and its latency. */
  async status(): Promise<{ ms: number; result: Results['status'] }> {
    const t0 = performance.now();
    const c = await JobctlClient.connect(this.paths.socket, { connectTimeoutMs: 600_000 });
    try {
      const result = await c.call('status', {}, 600_000);
      return { ms: performance.now() - t0, result };
    } finally {
      c.close();
    }
  }

  /** SIGTERM (SIGKILL after `graceMs`), then remove the home. */
  async stop(graceMs = 120_000): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    // BENCH_KEEP=1 leaves the home (its daemon log) to look at.
    if (!process.env.BENCH_KEEP) fs.rmSync(this.home, { recursive: true, force: true });
    else console.error(`kept ${this.home}`);
  }
}

/**
 * `status` asked back to back (a fresh connection each, as the CLI asks; a pause of `gapMs`
 * between answers) until stopped: the latencies a user typing `jobctl status` meanwhile would
 * see. From a worker thread: the benchmark's own synchronous work (a /proc scan) does not delay
 * the timing. A call still waiting when the sampler stops counts with the time it has waited.
 */
export class StatusSampler {
  private readonly worker: Worker;
  /** [end of the call (Date.now()), latency ms] each. */
  private readonly result: Promise<Array<[number, number]>>;

  constructor(daemon: DaemonProcess, gapMs = 50) {
    this.worker = new Worker(new URL('./status-sampler-worker.mjs', import.meta.url), { workerData: { socket: daemon.paths.socket, gapMs } });
    this.result = new Promise((resolve, reject) => {
      this.worker.once('message', (xs: Array<[number, number]>) => resolve(xs));
      this.worker.once('error', reject);
      this.worker.once('exit', () => resolve([]));
    });
    // A worker that failed is reported by stop(); until then the rejection must not end the
    // benchmark's process before its `finally` stops the daemon (three were left with 1,000 sleeps each).
    this.result.catch(() => undefined);
  }

  /**
   * Stop; the figures of the calls that ended at or after `since` (Date.now() of the change
   * timed; default all), and the longest one before it (`maxBefore`: the first status after the
   * daemon came up reads every instance's figures).
   */
  async stop(since = 0): Promise<{ samples: number; p50: number; p99: number; max: number; maxBefore: number }> {
    this.worker.postMessage('stop');
    const all = await this.result;
    const xs = all.filter(([end]) => end >= since).map(([, ms]) => ms);
    const before = all.filter(([end]) => end < since).map(([, ms]) => ms);
    return { samples: xs.length, p50: round(percentile(xs, 50)), p99: round(percentile(xs, 99)), max: round(Math.max(...xs)), maxBefore: round(Math.max(0, ...before)) };
  }

  /** Wait for the worker to end (after stop). */
  async done(): Promise<void> {
    await this.result;
  }
}

export const round = (x: number) => Math.round(x * 10) / 10;
