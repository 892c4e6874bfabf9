import { afterAll, describe, expect, it } from 'vitest';
import { jobctl } from '../helpers/cli.js';
import { tempDir, writeFiles } from '../helpers/temp.js';

const temps: Array<() => void> = [];
afterAll(() => temps.forEach((c) => c()));
function home(files: Record<string, string>): string {
  const { dir, cleanup } = tempDir();
  temps.push(cleanup);
  writeFiles(dir, files);
  return dir;
}

describe('jobctl validate', () => {
  it('prints a line per file and exits 0 for a valid directory', async () => {
    const h = home({
      'tasks/web.yaml': 'tasks:\n  api:\n    command: x\n  worker:\n    command: y\n',
      'tasks/cron.yaml': 'notifiers:\n  ops: {url: "http://127.0.0.1:9/x"}\ntasks:\n  tick:\n    schedule: "@hourly"\n    command: z\n',
    });
    const r = await jobctl(['validate'], { home: h });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('✓ tasks/cron.yaml: 1 task, 1 notifier\n✓ tasks/web.yaml: 2 tasks');
    expect(r.stderr).toBe('');
  });

  it('prints FILE:LINE:COL errors to stderr and exits 1', async () => {
    const h = home({ 'tasks/web.yaml': 'tasks:\n  api:\n    comand: x\n' });
    const r = await jobctl(['validate', 'tasks'], { cwd: h });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('✗ tasks/web.yaml: 2 errors');
    expect(r.stderr.split('\n')).toEqual([
      'tasks/web.yaml:2:3 task "api": command: is required',
      'tasks/web.yaml:3:5 task "api": unknown key "comand" (did you mean "command"?)',
      expect.stringMatching(/^2 errors in .*tasks; fix them and run `jobctl validate` again$/),
    ]);
  });

  it('--json gives ok, files and errors', async () => {
    const h = home({ 'tasks/web.yaml': 'tasks:\n  api:\n    command: x\n    instances: many\n' });
    const r = await jobctl(['validate', '--json'], { home: h });
    expect(r.code).toBe(1);
    const body = JSON.parse(r.stdout);
    expect(body.ok).toBe(false);
    expect(body.errors).toEqual([
      { file: 'tasks/web.yaml', line: 4, col: 16, task: 'api', key: 'instances', message: 'instances: expected a number, got "many"' },
    ]);
    expect(body.files[0]).toMatchObject({ file: 'tasks/web.yaml', group: 'web', tasks: [], errors: 1 });
  });

  it('validates the shipped examples', async () => {
    const r = await jobctl(['validate']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/✓ tasks\/heartbeat.yaml: 2 tasks/);
  });

  it('given a home, checks its tasks/ only (not the whole tree)', async () => {
    const h = home({
      'tasks/web.yaml': 'tasks:\n  api:\n    command: x\n',
      'notes/broken.yaml': 'this: [is not a task file\n',
      'state/other.yml': 'nope: 1\n',
    });
    const r = await jobctl(['validate', h], { cwd: '/' });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`✓ ${h}/tasks/web.yaml: 1 task`);
    // a task directory itself still works
    expect((await jobctl(['validate', `${h}/tasks`], { cwd: '/' })).stdout).toBe(`✓ ${h}/tasks/web.yaml: 1 task`);
  });

  it('warns about a user: or group: this host does not have, without failing', async () => {
    const h = home({ 'tasks/web.yaml': 'tasks:\n  api:\n    command: x\n    user: no-such-user-jc15\n  ok:\n    command: y\n    user: root\n    group: no-such-group-jc15\n' });
    const r = await jobctl(['validate'], { home: h });
    expect(r.code).toBe(0);
    expect(r.stderr.split('\n')).toEqual([
      'warning: tasks/web.yaml:2:1 task "api": user "no-such-user-jc15" does not exist on this host; the daemon will refuse to start this task here',
      'warning: tasks/web.yaml:5:1 task "ok": group "no-such-group-jc15" does not exist on this host; the daemon will refuse to start this task here',
    ]);
    const j = JSON.parse((await jobctl(['validate', '--json'], { home: h })).stdout);
    expect(j.ok).toBe(true);
    expect(j.warnings.map((w: { key: string }) => w.key)).toEqual(['user', 'group']);
  });
});
