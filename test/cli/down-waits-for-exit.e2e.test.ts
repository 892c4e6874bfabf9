import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { jobctl } from '../helpers/cli.js';
import { tempDirs } from '../helpers/temp.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Issue 29: on Node 26, `daemon end to end > down --now kills at once` found the daemon itself
 * (state R, `node jobctl.js daemon`) still there right after `down --now` returned. The daemon's
 * last acts are removing its socket and pid file, and `down` returned on those; the process then
 * still exits (Node closes handles and tears down), which takes longer on Node 26. The race is
 * on Node 20 too (8 tries: 5 left the daemon on Node 20, 3 on Node 26). `down` now also waits
 * for the process (pid and start time from the pid file) in its own pid namespace.
 */

const FIXTURE = path.resolve(import.meta.dirname, '../fixtures/lingering-daemon.mjs');
const dirs = tempDirs('jobctl-down-');
const children: number[] = [];

afterEach(() => {
  dirs.cleanup();
  for (const pid of children.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
});

/** The state letter of /proc/PID/stat, or `gone`. */
function processState(pid: number): string {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return 'gone';
  }
}

describe('jobctl down', () => {
  it('returns only once the daemon process has exited, not when its pid file and socket are gone', async () => {
    const home = dirs.dir();
    const child = spawn(process.execPath, [FIXTURE, home, '1500'], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child.pid!);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(() => out.includes('ready'), 10_000, 'fixture daemon ready');

    const down = await jobctl(['down', '--now'], { home });
    const state = processState(child.pid!);
    expect(down.stderr).toBe('');
    expect(down.code).toBe(0);
    expect(down.stdout).toBe(`jobctl daemon stopped (pid ${child.pid})`);
    // The fixture removed its files, then lived on for 1.5 s: `down` waited for its exit.
    expect(out).toMatch(/released \d+/);
    // Exited: a zombie until this test process reaps it, or already reaped.
    expect(['Z', 'gone'], 'the daemon process was still running when down returned').toContain(state);
  });

  it('waits for a daemon whose teardown outlasts the 2 s given to a dead socket, and does not say it left a pid file it removed', async () => {
    const home = dirs.dir();
    const child = spawn(process.execPath, [FIXTURE, home, '3500'], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child.pid!);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(() => out.includes('ready'), 10_000, 'fixture daemon ready');

    const down = await jobctl(['down', '--now'], { home });
    const state = processState(child.pid!);
    expect(down.code).toBe(0);
    expect(down.stdout).toBe(`jobctl daemon stopped (pid ${child.pid})`);
    expect(['Z', 'gone'], 'the daemon process was still running when down returned').toContain(state);
  }, 30_000);

  it('down --now racing up: a new daemon that takes the socket once the old one exited does not keep down waiting', async () => {
    const home = dirs.dir();
    const child = spawn(process.execPath, [FIXTURE, home, '100', 'successor'], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child.pid!);
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /successor (\d+)/.exec(out);
      if (m && !children.includes(Number(m[1]))) children.push(Number(m[1]));
    });
    await waitFor(() => out.includes('ready'), 10_000, 'fixture daemon ready');

    const down = await jobctl(['down', '--now', '--timeout', '8'], { home });
    expect(out).toMatch(/successor \d+/);
    expect(down.stderr).toBe('');
    expect(down.stdout).toBe(`jobctl daemon stopped (pid ${child.pid})`);
    expect(down.code).toBe(0);
  }, 30_000);
});
