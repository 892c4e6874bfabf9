import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LogFile } from '../../src/runtime/log-file.js';
import { CLI } from '../helpers/cli.js';
import { tempDirs } from '../helpers/temp.js';
import { waitFor } from '../helpers/wait.js';

const temps = tempDirs();
const isRoot = process.getuid?.() === 0;
const user = `jx24${process.pid % 100000}`;
let made = false;

afterAll(() => {
  if (made) execFileSync('userdel', [user], { stdio: 'ignore' });
  temps.cleanup();
});

describe('a state/ that is not the daemon user\'s own', () => {
  it('a log file planted as a symlink is not followed: the target is untouched', async () => {
    const dir = temps.dir();
    const victim = path.join(dir, 'victim');
    fs.writeFileSync(victim, 'precious\n');
    fs.symlinkSync(victim, path.join(dir, '0.log'));
    const errors: string[] = [];
    const f = new LogFile({ path: path.join(dir, '0.log'), maxSize: 1e6, keep: 1, onError: (e) => errors.push(e.code ?? '') });
    f.write(Buffer.from('task output\n'));
    await f.close();
    expect(fs.readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(errors).toContain('ELOOP');
  });

  it.runIf(isRoot)('root daemon, home and state/ owned by another user: refuses in one line and writes nothing through her symlink', async () => {
    execFileSync('useradd', ['--no-create-home', '--shell', '/usr/sbin/nologin', user]);
    made = true;
    const uid = Number(execFileSync('id', ['-u', user]).toString().trim());
    const home = temps.dir();
    fs.chmodSync(home, 0o755);
    fs.mkdirSync(path.join(home, 'tasks'), { mode: 0o755 });
    fs.writeFileSync(path.join(home, 'tasks/app.yaml'), 'tasks:\n  w:\n    command: echo pwned\n', { mode: 0o644 });
    const victim = path.join(temps.dir(), 'root-owned');
    fs.writeFileSync(victim, 'root data\n');
    fs.mkdirSync(path.join(home, 'state/logs/w'), { recursive: true });
    fs.symlinkSync(victim, path.join(home, 'state/logs/w/0.log'));
    execFileSync('chown', ['-R', '-h', `${uid}`, path.join(home, 'state')]);
    const child = spawn(process.execPath, [CLI, 'daemon'], { env: { ...process.env, JOBCTL_HOME: home, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    expect(code).not.toBe(0);
    expect(err.trim().split('\n')).toHaveLength(1);
    expect(err).toMatch(new RegExp(`state belongs to uid ${uid}, not to the daemon's user \\(uid 0\\)`));
    expect(fs.readFileSync(victim, 'utf8')).toBe('root data\n');
  }, 60_000);

  it.runIf(isRoot)('root daemon, home owned by another user: her swapping state/ for a symlink while it runs sends no write through it', async () => {
    if (!made) {
      execFileSync('useradd', ['--no-create-home', '--shell', '/usr/sbin/nologin', user]);
      made = true;
    }
    const uid = Number(execFileSync('id', ['-u', user]).toString().trim());
    const home = temps.dir();
    fs.chmodSync(home, 0o755);
    fs.mkdirSync(path.join(home, 'tasks'), { mode: 0o755 });
    fs.writeFileSync(path.join(home, 'tasks/app.yaml'), "tasks:\n  c:\n    schedule: '* * * * * *'\n    command: echo tick\n", { mode: 0o644 });
    fs.chownSync(home, uid, uid); // her home; tasks/ stays root's, as the trust check asks
    const victim = temps.dir(); // a root-owned place she wants files created in
    const child = spawn(process.execPath, [CLI, 'daemon'], { env: { ...process.env, JOBCTL_HOME: home, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    try {
      const runs = path.join(home, 'state/logs/c/runs');
      await waitFor(() => fs.existsSync(runs) && fs.readdirSync(runs).length > 0, 20_000, `a first run log (${err})`);
      // What she may do in her home: move the daemon's state/ aside and put a symlink there.
      const moved = path.join(home, 'state.moved');
      execFileSync('setpriv', ['--reuid', String(uid), '--regid', String(uid), '--clear-groups', 'sh', '-c', `mv "${home}/state" "${moved}" && ln -s "${victim}" "${home}/state"`]);
      const before = fs.readdirSync(path.join(moved, 'logs/c/runs')).length;
      // The daemon goes on in its own directory...
      await waitFor(() => fs.readdirSync(path.join(moved, 'logs/c/runs')).length >= before + 2, 20_000, 'two more run logs in the daemon\'s own state/');
      // ...and created nothing through her symlink.
      expect(fs.readdirSync(victim)).toEqual([]);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  }, 60_000);
});
