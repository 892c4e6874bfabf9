import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadTaskDir } from '../../src/config/load.js';
import { trustProblem } from '../../src/config/file-trust.js';
import { jobctl } from '../helpers/cli.js';
import { cleanupDaemons, makeHome, startTestDaemon } from '../helpers/daemon.js';
import { tempDir } from '../helpers/temp.js';
import { waitFor } from '../helpers/wait.js';

const isRoot = process.geteuid?.() === 0;
const NOBODY = 65534;
const cleanups: Array<() => void> = [];
afterEach(async () => {
  cleanups.splice(0).forEach((c) => c());
  expect(await cleanupDaemons()).toEqual([]);
});

function taskDir(files: Record<string, string>): string {
  const t = tempDir('jobctl-trust-');
  cleanups.push(t.cleanup);
  const dir = path.join(t.dir, 'tasks');
  fs.mkdirSync(dir, { mode: 0o755 });
  fs.chmodSync(dir, 0o755);
  for (const [name, text] of Object.entries(files)) {
    fs.writeFileSync(path.join(dir, name), text, { mode: 0o644 });
    fs.chmodSync(path.join(dir, name), 0o644);
  }
  return dir;
}

const TASK = 'tasks:\n  hello:\n    command: echo hi\n';

describe('trustProblem (the rule)', () => {
  const cases: Array<[string, { uid: number; mode: number }, 'file' | 'directory', number, RegExp | undefined]> = [
    ['root file, 0644, root daemon', { uid: 0, mode: 0o100644 }, 'file', 0, undefined],
    ['root file, 0664, root daemon', { uid: 0, mode: 0o100664 }, 'file', 0, /writable by its group \(mode 0664\).*chmod g-w/],
    ['root file, 0646, root daemon', { uid: 0, mode: 0o100646 }, 'file', 0, /writable by others \(mode 0646\).*chmod o-w/],
    ['user file, root daemon', { uid: 1000, mode: 0o100644 }, 'file', 0, /owned by uid 1000, not by root.*as root; chown it/],
    ['own file, 0664, user daemon: group-writable allowed', { uid: 1000, mode: 0o100664 }, 'file', 1000, undefined],
    ['root file, user daemon', { uid: 0, mode: 0o100644 }, 'file', 1000, undefined],
    ['own file, 0666, user daemon', { uid: 1000, mode: 0o100666 }, 'file', 1000, /writable by others/],
    ['other user file, user daemon', { uid: 1001, mode: 0o100644 }, 'file', 1000, /owned by uid 1001, not by uid 1000 or root/],
    ['dir 0777, root daemon', { uid: 0, mode: 0o40777 }, 'directory', 0, /writable by others/],
    ['dir 1777 (sticky), root daemon', { uid: 0, mode: 0o41777 }, 'directory', 0, undefined],
    ['dir 0775, root daemon', { uid: 0, mode: 0o40775 }, 'directory', 0, /writable by its group/],
  ];
  it.each(cases)('%s', (_what, st, kind, uid, want) => {
    const p = trustProblem(st, kind, uid);
    if (want) expect(p).toMatch(want);
    else expect(p).toBeUndefined();
  });
});

describe.runIf(isRoot)('task files a root daemon must refuse (real files, chmod/chown)', () => {
  it('a group-writable file is an error at file:1:1 and its tasks are not loaded; the others are', () => {
    const dir = taskDir({ 'good.yaml': TASK, 'bad.yaml': 'tasks:\n  evil:\n    command: id\n' });
    fs.chmodSync(path.join(dir, 'bad.yaml'), 0o664);
    const set = loadTaskDir(dir, 'tasks');
    expect(set.tasks.map((t) => t.name)).toEqual(['hello']);
    expect(set.errors).toEqual([{ file: 'tasks/bad.yaml', line: 1, col: 1, message: expect.stringMatching(/^refused: writable by its group \(mode 0664\)/) }]);
    expect(set.files.find((f) => f.file === 'tasks/bad.yaml')).toMatchObject({ errors: 1, tasks: [] });
  });

  it('a file owned by another user is refused', () => {
    const dir = taskDir({ 'app.yaml': TASK });
    fs.chownSync(path.join(dir, 'app.yaml'), NOBODY, NOBODY);
    const set = loadTaskDir(dir, 'tasks');
    expect(set.tasks).toEqual([]);
    expect(set.errors[0]!.message).toMatch(new RegExp(`^refused: owned by uid ${NOBODY}, not by root`));
  });

  it('a task directory writable by others is refused unless sticky; a subdirectory too', () => {
    const dir = taskDir({ 'app.yaml': TASK });
    fs.chmodSync(dir, 0o777);
    expect(loadTaskDir(dir, 'tasks').errors).toEqual([{ file: 'tasks', line: 0, col: 0, message: expect.stringMatching(/^refused: the task directory is writable by others \(mode 0777\)/) }]);
    fs.chmodSync(dir, 0o1777);
    expect(loadTaskDir(dir, 'tasks').errors).toEqual([]);
    fs.chmodSync(dir, 0o755);
    fs.mkdirSync(path.join(dir, 'team'), { mode: 0o777 });
    fs.chmodSync(path.join(dir, 'team'), 0o777);
    fs.writeFileSync(path.join(dir, 'team', 'x.yaml'), 'tasks:\n  x:\n    command: id\n', { mode: 0o644 });
    const set = loadTaskDir(dir, 'tasks');
    expect(set.tasks.map((t) => t.name)).toEqual(['hello']);
    expect(set.errors[0]).toMatchObject({ file: 'tasks/team/x.yaml', message: expect.stringMatching(/its directory .*\/team is writable by others/) });
  });

  it('a symlinked task file whose target lies in a directory others can write is refused', () => {
    const dir = taskDir({});
    const open = path.join(path.dirname(dir), 'open');
    fs.mkdirSync(open);
    fs.chmodSync(open, 0o777);
    fs.writeFileSync(path.join(open, 'app.yaml'), TASK, { mode: 0o644 });
    fs.symlinkSync(path.join(open, 'app.yaml'), path.join(dir, 'app.yaml'));
    let set = loadTaskDir(dir, 'tasks');
    expect(set.tasks).toEqual([]);
    expect(set.errors[0]!.message).toMatch(/refused: its directory .*open is writable by others/);
    // the same target in a directory only root can write is fine
    fs.chmodSync(open, 0o755);
    set = loadTaskDir(dir, 'tasks');
    expect(set.tasks.map((t) => t.name)).toEqual(['hello']);
  });

  it('a non-root daemon (uid 1000) accepts root-owned and group-writable files it owns', () => {
    const dir = taskDir({ 'app.yaml': TASK });
    fs.chownSync(dir, 1000, 1000);
    fs.chownSync(path.join(dir, 'app.yaml'), 1000, 1000);
    fs.chmodSync(path.join(dir, 'app.yaml'), 0o664);
    expect(loadTaskDir(dir, 'tasks', { uid: 1000 }).errors).toEqual([]);
    expect(loadTaskDir(dir, 'tasks', { uid: 1001 }).errors[0]!.message).toMatch(/owned by uid 1000, not by uid 1001 or root/);
  });

  it('validate says the same, and a running daemon keeps the last good version of a file made unsafe', async () => {
    const home = makeHome({ 'tasks/app.yaml': 'tasks:\n  w:\n    command: sleep 1000\n' });
    fs.chmodSync(path.join(home, 'tasks'), 0o755);
    fs.chmodSync(path.join(home, 'tasks/app.yaml'), 0o644);
    await startTestDaemon(home);
    await waitFor(async () => /"running"/.test((await jobctl(['status', 'w', '--json'], { home })).stdout), 10_000, 'w running');
    const pidBefore = JSON.parse((await jobctl(['status', 'w', '--json'], { home })).stdout).tasks[0].instances[0].pid;
    // Someone makes it group-writable and adds a task: nothing of it runs.
    fs.chmodSync(path.join(home, 'tasks/app.yaml'), 0o664);
    fs.writeFileSync(path.join(home, 'tasks/app.yaml'), 'tasks:\n  w:\n    command: sleep 1000\n  evil:\n    command: touch /tmp/pwned\n');
    const reload = await jobctl(['reload'], { home });
    expect(reload.code).toBe(1);
    expect(reload.stdout + reload.stderr).toMatch(/tasks\/app\.yaml:1:1: refused: writable by its group/);
    await waitFor(async () => {
      const st = await jobctl(['status'], { home });
      return /refused: writable by its group/.test(st.stdout + st.stderr);
    }, 10_000, 'the error in status');
    const s = JSON.parse((await jobctl(['status', '--json'], { home })).stdout);
    expect(s.tasks.map((t: { name: string }) => t.name)).toEqual(['w']);
    expect(s.tasks[0].instances[0].pid).toBe(pidBefore);
    const v = await jobctl(['validate'], { home });
    expect(v.code).toBe(1);
    expect(v.stderr).toMatch(/^tasks\/app\.yaml:1:1: refused: writable by its group \(mode 0664\) and the daemon runs as root/m);
    fs.chmodSync(path.join(home, 'tasks/app.yaml'), 0o644);
    expect((await jobctl(['validate'], { home })).code).toBe(0);
  }, 60_000);
});
