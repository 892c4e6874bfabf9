import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnerInfo, spawnProcess, type SpawnedProcess } from '../../../src/runtime/process/start.js';
import { tempDir } from '../../helpers/temp.js';
import { killGroup, waitFor } from '../../helpers/wait.js';

/**
 * The start stage on both spawners (DESIGN.md "The hot path"): the native one (vfork + one
 * exec, native/spawn.c) where it is built, and child_process, forced by JOBCTL_SPAWNER.
 * Whichever starts a process, the process sees the same world and a bad start says the same.
 */

const tmp = tempDir('jobctl-start-');
const groups: number[] = [];
afterAll(() => {
  groups.forEach(killGroup);
  tmp.cleanup();
});

const NATIVE = spawnerInfo().spawner === 'native';
const SPAWNERS = [
  { name: 'native', env: undefined as string | undefined, skip: !NATIVE },
  { name: 'child_process', env: 'child_process', skip: false },
];

function withSpawner<T>(env: string | undefined, fn: () => T): T {
  const prev = process.env.JOBCTL_SPAWNER;
  if (env === undefined) delete process.env.JOBCTL_SPAWNER;
  else process.env.JOBCTL_SPAWNER = env;
  try {
    return fn();
  } finally {
    if (prev === undefined) delete process.env.JOBCTL_SPAWNER;
    else process.env.JOBCTL_SPAWNER = prev;
  }
}

async function output(p: SpawnedProcess): Promise<{ out: string; err: string; code: number | null; signal: string | null }> {
  let out = '';
  let err = '';
  p.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  p.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const ended = (s: NodeJS.ReadableStream) => new Promise((r) => s.once('close', r));
  const [status] = await Promise.all([p.exit, ended(p.stdout), ended(p.stderr)]);
  return { out, err, ...status };
}

/** Signals 1–31 a process ignores or blocks, from /proc/<pid>/status. */
function signalMasks(pid: number): { ignored: bigint; blocked: bigint } {
  const text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const low = (name: string) => BigInt(`0x${new RegExp(`^${name}:\\s+([0-9a-f]+)`, 'm').exec(text)![1]}`) & 0x7fffffffn;
  return { ignored: low('SigIgn'), blocked: low('SigBlk') };
}

describe('this host', () => {
  it('uses the native spawner where it is built, and says which one in words', () => {
    const info = spawnerInfo();
    if (fs.existsSync(path.resolve('native/build/jobctl_spawn.node'))) expect(info.spawner).toBe('native');
    expect(info.description).toMatch(info.spawner === 'native' ? /^vfork/ : /^child_process \(the native spawner is off/);
    expect(withSpawner('child_process', () => spawnerInfo()).description).toBe('child_process (the native spawner is off: JOBCTL_SPAWNER=child_process)');
  });
});

describe.each(SPAWNERS)('spawnProcess ($name)', ({ env, skip }) => {
  it.skipIf(skip)('gives the child its own session, the cwd, the environment, pipes for output and the exit status', async () => {
    const p = await withSpawner(env, () => spawnProcess({
      command: 'echo "$(pwd) $FOO $1"; echo oops >&2; read x; echo "stdin:$?"; exit 7', cwd: tmp.dir, env: { FOO: 'bar' }, args: ['arg1'],
    }));
    groups.push(p.pgid);
    expect(p.pgid).toBe(p.pid);
    expect(p.startTime).toBeGreaterThan(0);
    const r = await output(p);
    // stdin is /dev/null: read fails at once
    expect(r).toEqual({ out: `${fs.realpathSync(tmp.dir)} bar arg1\nstdin:1\n`, err: 'oops\n', code: 7, signal: null });
  });

  it.skipIf(skip)('a process killed by a signal reports its name', async () => {
    const p = await withSpawner(env, () => spawnProcess({ command: ['sleep', '100'], cwd: '/', env: {} }));
    groups.push(p.pgid);
    process.kill(-p.pgid, 'SIGTERM');
    expect(await output(p)).toMatchObject({ code: null, signal: 'SIGTERM' });
  });

  it.skipIf(skip)('no signal is ignored or blocked in the child, whatever the daemon ignores', async () => {
    const p = await withSpawner(env, () => spawnProcess({ command: ['sleep', '100'], cwd: '/', env: {} }));
    groups.push(p.pgid);
    // Node ignores SIGPIPE itself; the child must not inherit that.
    // (child_process goes through setpriv: read the masks once sleep itself runs)
    await waitFor(() => fs.readFileSync(`/proc/${p.pid}/cmdline`, 'utf8') === 'sleep\0' + '100\0', 5000, 'sleep exec\'d');
    expect(signalMasks(p.pid)).toEqual({ ignored: 0n, blocked: 0n });
    process.kill(-p.pgid, 'SIGKILL');
    await p.exit;
  });

  it.skipIf(skip)('a bare command name is looked up in the task\'s PATH, not the daemon\'s', async () => {
    const bin = path.join(tmp.dir, `bin-${env ?? 'native'}`);
    fs.mkdirSync(bin, { recursive: true });
    fs.writeFileSync(path.join(bin, 'only-here'), '#!/bin/sh\necho found-it\n', { mode: 0o755 });
    const p = await withSpawner(env, () => spawnProcess({ command: ['only-here'], cwd: '/', env: { PATH: `${bin}:/usr/bin:/bin` } }));
    groups.push(p.pgid);
    expect(await output(p)).toMatchObject({ out: 'found-it\n', code: 0 });
  });

  it.skipIf(skip)('an executable script without a #! line runs under /bin/sh, as execvp runs it (by path and by PATH search)', async () => {
    const bin = path.join(tmp.dir, `nosheb-${env ?? 'native'}`);
    fs.mkdirSync(bin, { recursive: true });
    fs.writeFileSync(path.join(bin, 'plain-script'), 'echo "plain $1 $2"\n', { mode: 0o755 });
    const byPath = await withSpawner(env, () => spawnProcess({ command: [path.join(bin, 'plain-script'), 'a', 'b'], cwd: '/', env: {} }));
    groups.push(byPath.pgid);
    expect(await output(byPath)).toMatchObject({ out: 'plain a b\n', code: 0 });
    const bySearch = await withSpawner(env, () => spawnProcess({ command: ['plain-script', 'c'], cwd: '/', env: { PATH: `${bin}:/usr/bin:/bin` } }));
    groups.push(bySearch.pgid);
    expect(await output(bySearch)).toMatchObject({ out: 'plain c \n', code: 0 });
  });

  it.skipIf(skip)('a missing binary, a missing cwd and a cgroup that cannot be joined are clear errors', async () => {
    await expect(withSpawner(env, () => spawnProcess({ command: ['no-such-binary-xyz'], cwd: '/', env: {} })))
      .rejects.toThrow(/^command not found or not executable: no-such-binary-xyz$/);
    await expect(withSpawner(env, () => spawnProcess({ command: ['true'], cwd: path.join(os.tmpdir(), 'no-such-dir-xyz'), env: {} })))
      .rejects.toThrow(/^cwd .*no-such-dir-xyz does not exist or is not a directory$/);
    if (env === undefined) {
      // (child_process joins in its shell, after the start: that is an exit 125, shown in the log)
      await expect(withSpawner(env, () => spawnProcess({ command: ['true'], cwd: '/', env: {}, joinCgroups: [path.join(tmp.dir, 'no-such-cgroup', 'cgroup.procs')] })))
        .rejects.toThrow(/^cannot join the cgroup .*no-such-cgroup\/cgroup.procs: join: No such file or directory$/);
    }
  });

  it.skipIf(skip)('an argument or a variable with a NUL byte is refused, never cut short', async () => {
    await expect(withSpawner(env, () => spawnProcess({ command: ['echo', 'a\0b'], cwd: '/', env: {} }))).rejects.toThrow();
    await expect(withSpawner(env, () => spawnProcess({ command: ['true'], cwd: '/', env: { X: 'a\0b' } }))).rejects.toThrow();
  });

  it.skipIf(skip)('many starts at once each get their own exit', async () => {
    // Each read as soon as it is started, as its caller does: child_process starts are paced over
    // turns of the loop, and Node drains the unread pipes of a child that has exited meanwhile.
    const starts = withSpawner(env, () => Array.from({ length: 50 }, (_, i) => spawnProcess({ command: `exit ${i}`, cwd: '/', env: {} })));
    const ends = await Promise.all(starts.map((s) => s.then((p) => {
      groups.push(p.pgid);
      return output(p);
    })));
    expect(ends.map((r) => r.code)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });
});
