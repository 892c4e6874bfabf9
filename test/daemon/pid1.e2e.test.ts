import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { JobctlClient } from '../../src/api/client.js';
import { Containment } from '../../src/runtime/process/contain.js';
import { listProcesses } from '../../src/runtime/proc.js';
import { homePaths } from '../../src/shared/paths.js';
import { readPidRecord, sameNamespace } from '../../src/api/pid-file.js';
import { CLI, jobctl } from '../helpers/cli.js';
import { cleanupDaemons, makeHome } from '../helpers/daemon.js';
import { waitFor } from '../helpers/wait.js';

/**
 * The daemon as PID 1 of a pid namespace (`unshare --pid --fork --mount-proc`), as in a
 * container without an init: it must hand over to tini so orphans are reaped, or refuse.
 */

const UNSHARE = '/usr/bin/unshare';
const CAN = process.getuid?.() === 0 && fs.existsSync(UNSHARE);

const started: ChildProcess[] = [];
const homes: string[] = [];
afterEach(async () => {
  for (const c of started.splice(0)) {
    if (c.exitCode !== null || c.signalCode !== null) continue;
    // SIGKILL to the namespace's PID 1 (unshare's child) ends every process in it.
    for (const p of listProcesses()) if (p.ppid === c.pid) process.kill(p.pid, 'SIGKILL');
    c.kill('SIGKILL');
    await new Promise((r) => c.once('exit', r));
  }
  for (const h of homes.splice(0)) {
    const box = Containment.open(h);
    await box.sweep(200);
    box.close();
  }
  expect(await cleanupDaemons()).toEqual([]);
});

/** Pids below `root` (its descendants), with their state. */
function descendants(root: number): Array<{ pid: number; state: string }> {
  const all = listProcesses();
  const below = new Set([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const p of all) if (!below.has(p.pid) && below.has(p.ppid)) {
      below.add(p.pid);
      grew = true;
    }
  }
  return all.filter((p) => p.pid !== root && below.has(p.pid)).map((p) => ({ pid: p.pid, state: p.state }));
}

function inNamespace(home: string, env: Record<string, string> = {}): { child: ChildProcess; output: () => string } {
  let out = '';
  const child = spawn(UNSHARE, ['--pid', '--fork', '--mount-proc', process.execPath, CLI, 'daemon'], {
    env: { ...process.env, JOBCTL_HOME: home, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  homes.push(home);
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { child, output: () => out };
}

describe.runIf(CAN)('the daemon as PID 1', () => {
  it('runs under tini: orphans of a forking task are reaped (zombies < 5 over 40 forks), and `down` from outside waits for it', async () => {
    const home = makeHome({
      // Each loop leaves an orphan (the subshell exits before its sleep): ~7 a second.
      'tasks/fork.yaml': `tasks:
  forker:
    command: "while :; do (sleep 0.05 &); echo x >> \\"$JOBCTL_HOME/forks.log\\"; sleep 0.15; done"
`,
    });
    const { child, output } = inNamespace(home);
    const socket = homePaths(home).socket;
    await waitFor(async () => {
      if (child.exitCode !== null) throw new Error(`daemon exited: ${output()}`);
      try {
        (await JobctlClient.connect(socket, { connectTimeoutMs: 500 })).close();
        return true;
      } catch {
        return false;
      }
    }, 15_000, 'daemon socket');
    // The pid file names a pid of another namespace.
    const rec = readPidRecord(homePaths(home).pidFile)!;
    expect(rec.pidns).toMatch(/^pid:\[\d+\]$/);
    expect(sameNamespace(rec)).toBe(false);
    // tini is there, between PID 1 and the daemon.
    const names = descendants(child.pid!).map((p) => {
      try {
        return fs.readFileSync(`/proc/${p.pid}/comm`, 'utf8').trim();
      } catch {
        return '';
      }
    });
    expect(names).toContain('tini');

    // Sampled until the task has forked (and orphaned) 40 children or more, however long the
    // machine takes; not for a fixed time.
    let maxZombies = 0;
    const forked = () => {
      try {
        return fs.readFileSync(path.join(home, 'forks.log'), 'utf8').split('\n').length;
      } catch {
        return 0;
      }
    };
    const forkedBefore = forked();
    await waitFor(() => {
      maxZombies = Math.max(maxZombies, descendants(child.pid!).filter((p) => p.state === 'Z').length);
      return forked() > forkedBefore + 40;
    }, 90_000, '40 forks while sampled');
    const forks = forked();
    expect(forks).toBeGreaterThan(40); // it did fork all along
    expect(maxZombies).toBeLessThan(5);

    const started = Date.now();
    const down = await jobctl(['down', '--timeout', '30'], { home });
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toMatch(/jobctl daemon stopped/);
    expect(Date.now() - started).toBeLessThan(20_000);
    await waitFor(() => child.exitCode !== null, 10_000, 'namespace gone');
    expect(child.exitCode).toBe(0);
    expect(fs.existsSync(homePaths(home).pidFile)).toBe(false);
  }, 150_000);

  it('without tini on PATH it refuses to start, with one line that says what to do', async () => {
    const home = makeHome({ 'tasks/a.yaml': 'tasks:\n  a:\n    command: sleep 1000\n' });
    const { child, output } = inNamespace(home, { PATH: '/nonexistent' });
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    expect(code).toBe(1);
    const lines = output().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/refusing to run as PID 1.*install tini.*docker run --init/);
    expect(fs.existsSync(homePaths(home).socket)).toBe(false);
  });

  it('a task of the daemon under tini does not inherit JOBCTL_UNDER_INIT (a nested daemon as PID 1 would skip its init)', async () => {
    const home = makeHome({ 'tasks/e.yaml': 'tasks:\n  e:\n    command: "env > \\"$JOBCTL_HOME/env.txt\\"; exec sleep 100000"\n' });
    const { child, output } = inNamespace(home);
    const file = path.join(home, 'env.txt');
    await waitFor(() => {
      if (child.exitCode !== null) throw new Error(`daemon exited: ${output()}`);
      return fs.existsSync(file) && fs.readFileSync(file, 'utf8').includes('JOBCTL_TASK=e');
    }, 20_000, 'the task wrote its environment');
    expect(fs.readFileSync(file, 'utf8')).not.toMatch(/^JOBCTL_UNDER_INIT=/m);
    const down = await jobctl(['down', '--timeout', '30'], { home });
    expect(down.code, down.stderr).toBe(0);
    await waitFor(() => child.exitCode !== null, 10_000, 'namespace gone');
  }, 60_000);
});
