import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { JobctlClient } from '../../src/api/client.js';
import { homePaths } from '../../src/shared/paths.js';
import { CLI, jobctl } from '../helpers/cli.js';
import { makeHome, processesOfHome, removeTestHomes } from '../helpers/daemon.js';
import { Containment } from '../../src/runtime/process/contain.js';
import { waitFor } from '../helpers/wait.js';

const children: ChildProcess[] = [];

const homes = new Set<string>();

afterEach(async () => {
  await Promise.all(children.splice(0).filter((c) => c.exitCode === null && c.signalCode === null).map((c) => {
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    return exited;
  }));
  // A daemon killed with -9 leaves its tasks behind (the last round's): end them by pid, and
  // their cgroups.
  for (const home of homes) {
    for (const pid of processesOfHome(home)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    const box = Containment.open(home);
    await box.sweep(200);
    box.close();
  }
  homes.clear();
  removeTestHomes();
});

function starter(home: string, env: NodeJS.ProcessEnv = {}): { child: ChildProcess; exited: Promise<number | null>; out: () => string } {
  let out = '';
  homes.add(home);
  const child = spawn(process.execPath, [CLI, 'daemon'], { env: { ...process.env, JOBCTL_HOME: home, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  children.push(child);
  return { child, exited: new Promise((r) => child.once('exit', (code) => r(code))), out: () => out };
}

/** A pid that is surely not running: a child that has exited and been reaped. */
async function deadPid(): Promise<number> {
  const c = spawn('true');
  await new Promise((r) => c.once('exit', r));
  return c.pid!;
}

describe('exactly one daemon per home', () => {
  it('8 starters racing on a stale pid file, 3 rounds: one runs, the others refuse, the socket is the survivor\'s', async () => {
    const home = makeHome({ 'tasks/app.yaml': 'tasks:\n  w:\n    command: sleep 300\n' });
    const paths = homePaths(home);
    for (let round = 0; round < 3; round++) {
      fs.mkdirSync(paths.state, { recursive: true, mode: 0o700 });
      fs.writeFileSync(paths.pidFile, `${await deadPid()} 1\n`);
      const starters = Array.from({ length: 8 }, () => starter(home));
      // Every starter but one exits with a refusal; wait for those exits, not for a time.
      const refused = (await waitFor(async () => {
        const done = starters.filter((s) => s.child.exitCode !== null);
        return done.length >= starters.length - 1 ? done : undefined;
      }, 30_000, '7 of 8 starters to exit'))!;
      expect(refused.map((s) => s.out()).join('')).not.toMatch(/could not|cannot/);
      expect(refused).toHaveLength(starters.length - 1);
      for (const s of refused) {
        expect(s.child.exitCode).not.toBe(0);
        expect(s.out()).toMatch(/a daemon is already running for this home/);
      }
      const survivor = starters.find((s) => s.child.exitCode === null)!;
      const client = (await waitFor(async () => JobctlClient.connect(paths.socket).catch(() => undefined), 20_000, 'the survivor to answer'))!;
      const hello = await client.call('hello', { client: 'test' });
      client.close();
      expect(hello.pid).toBe(survivor.child.pid);
      // Killed with -9: the kernel releases the lock, so the next round's starters are not blocked by it.
      survivor.child.kill('SIGKILL');
      await survivor.exited;
    }
  }, 180_000);

  it('`jobctl up` run 4 times at once: each one answers with the daemon that won, none says it did not start', async () => {
    const home = makeHome({ 'tasks/a.yaml': 'tasks:\n  a:\n    command: ["sleep", "60"]\n' });
    homes.add(home);
    const ups = await Promise.all([1, 2, 3, 4].map(() => jobctl(['up'], { home })));
    try {
      const pids = new Set(ups.map((r) => /\(pid (\d+), home/.exec(r.stdout)?.[1]));
      expect(ups.map((r) => r.code), ups.map((r) => r.stderr).join('\n')).toEqual([0, 0, 0, 0]);
      expect(pids.size).toBe(1);
      expect(pids.has(undefined)).toBe(false);
    } finally {
      await jobctl(['down'], { home });
    }
  });

  it('a home on a filesystem without file locks: the daemon refuses with one line saying what to do', async () => {
    const home = makeHome({ 'tasks/app.yaml': 'tasks:\n  w:\n    command: sleep 300\n' });
    // No filesystem without flock(2) can be mounted here (NFS without lockd, some network
    // filesystems): flock(1) is made to answer as util-linux does on one (ENOLCK).
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'jobctl-nolock-'));
    try {
      fs.writeFileSync(path.join(bin, 'flock'), '#!/bin/sh\necho "flock: 3: No locks available" >&2\nexit 1\n', { mode: 0o755 });
      const s = starter(home, { PATH: `${bin}:${process.env.PATH ?? ''}` });
      expect(await s.exited).not.toBe(0);
      const said = s.out().trim().split('\n').filter((l) => /lock/i.test(l));
      expect(said).toHaveLength(1);
      expect(said[0]).toMatch(/does not support file locks \(No locks available\); put the jobctl home on a local filesystem/);
      expect(s.out()).not.toMatch(/\n\s+at /);
      expect(fs.existsSync(homePaths(home).socket)).toBe(false);
    } finally {
      fs.rmSync(bin, { recursive: true, force: true });
    }
  }, 60_000);

  it('a starter refused while a daemon runs never removes the live daemon\'s socket', async () => {
    const home = makeHome({ 'tasks/app.yaml': 'tasks:\n  w:\n    command: sleep 300\n' });
    const paths = homePaths(home);
    const first = starter(home);
    await waitFor(() => fs.existsSync(paths.socket), 20_000, 'the socket');
    const ino = fs.statSync(paths.socket).ino;
    // The pid file emptied (as between an O_EXCL open and its write): the content decides nothing.
    fs.truncateSync(paths.pidFile, 0);
    const second = starter(home);
    expect(await second.exited).not.toBe(0);
    expect(second.out()).toMatch(/a daemon is already running for this home/);
    expect(fs.statSync(paths.socket).ino).toBe(ino);
    const client = await JobctlClient.connect(paths.socket);
    expect((await client.call('hello', { client: 'test' })).pid).toBe(first.child.pid);
    client.close();
    first.child.kill('SIGTERM');
    await first.exited;
  }, 60_000);

  it('rm -rf state/ under a running daemon does not let a second daemon start on the home', async () => {
    const home = makeHome({ 'tasks/app.yaml': 'tasks:\n  w:\n    command: sleep 300\n' });
    const paths = homePaths(home);
    const first = starter(home);
    await waitFor(() => fs.existsSync(paths.socket), 20_000, 'the socket');
    // The daemon may write into state/ while rm walks it (ENOTEMPTY): do as a user would, run rm again.
    await waitFor(() => {
      try {
        fs.rmSync(paths.state, { recursive: true, force: true, maxRetries: 5, retryDelay: 20 });
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOTEMPTY') return undefined;
        throw error;
      }
    }, 20_000, 'rm -rf state/ to succeed');
    const second = starter(home);
    // Either the second starter exits, or it answers on the socket as a second daemon (the defect).
    const helloPid = async () => {
      const c = await JobctlClient.connect(paths.socket).catch(() => undefined);
      if (!c) return undefined;
      try {
        return (await c.call('hello', { client: 'test' })).pid;
      } catch {
        return undefined;
      } finally {
        c.close();
      }
    };
    const code = await Promise.race([second.exited, waitFor(async () => ((await helloPid()) === second.child.pid ? 'second daemon answers' : undefined), 90_000, 'the second to exit or answer')]);
    expect(code, second.out()).not.toBe('second daemon answers');
    expect(second.out()).toMatch(/a daemon is already running for this home/);
    expect(first.child.exitCode).toBeNull();
    // The first one listens again and rewrites its pid file: clients find it, `down` stops it.
    const client = (await waitFor(async () => JobctlClient.connect(paths.socket).catch(() => undefined), 20_000, 'the first daemon to answer again'))!;
    expect((await client.call('hello', { client: 'test' })).pid).toBe(first.child.pid);
    client.close();
    await waitFor(() => fs.existsSync(paths.pidFile) && fs.readFileSync(paths.pidFile, 'utf8').startsWith(`${first.child.pid} `), 20_000, 'the pid file written again');
    const third = starter(home);
    expect(await third.exited).not.toBe(0);
    expect(third.out()).toMatch(new RegExp(`a daemon is already running for this home \\(pid ${first.child.pid}\\)`));
    first.child.kill('SIGTERM');
    await first.exited;
  }, 240_000);
});
