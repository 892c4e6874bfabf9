import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { taskFileJsonSchema } from '../../src/config/json-schema.js';
import { jobctl } from '../helpers/cli.js';
import { cleanupDaemons, startTestDaemon } from '../helpers/daemon.js';
import { tempDir } from '../helpers/temp.js';

const t = tempDir('jobctl-first-hour-');
afterAll(async () => {
  expect(await cleanupDaemons()).toEqual([]);
  t.cleanup();
});

/** A clean environment: no JOBCTL_HOME, HOME in the temp dir (so ~/.jobctl is ours). */
const env = { HOME: path.join(t.dir, 'user'), JOBCTL_HOME: '' };

describe('the first hour of a new user', () => {
  it('jobctl init makes a home: tasks/ with a commented example, state/ git-ignored, a $schema that resolves', async () => {
    const dir = path.join(t.dir, 'proj');
    fs.mkdirSync(dir);
    const r = await jobctl(['init'], { cwd: dir, env });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')).toEqual([
      'created tasks/', 'created state/', 'created tasks/example.yaml', 'created .gitignore',
      'next: jobctl up && jobctl status   (`jobctl help keys` lists every task key)',
    ]);
    expect(fs.statSync(path.join(dir, 'state')).mode & 0o777).toBe(0o700);
    expect(fs.readFileSync(path.join(dir, '.gitignore'), 'utf8')).toContain('\n/state/\n');
    const example = fs.readFileSync(path.join(dir, 'tasks/example.yaml'), 'utf8');
    // the schema line points at a file that exists, from the task file's directory, without a URL
    const ref = example.match(/^# yaml-language-server: \$schema=(\S+)$/m)![1]!;
    expect(ref).not.toMatch(/^https?:/);
    const schema = JSON.parse(fs.readFileSync(path.resolve(dir, 'tasks', ref), 'utf8'));
    expect(schema.title).toBe('jobctl task file');
    expect(example).toContain('jobctl help keys');
    expect(example).not.toContain('tasks.example.yaml');
    // the example is valid, and validate finds it from the home
    const v = await jobctl(['validate'], { cwd: dir, env });
    expect(v.stdout).toBe('✓ tasks/example.yaml: 1 task');
    // again: nothing is overwritten
    const again = await jobctl(['init', dir], { cwd: t.dir, env });
    expect(again.stdout).toBe(`proj/tasks already has 1 task file(s); left as they are\nnext: cd ${dir} && jobctl up && jobctl status   (\`jobctl help keys\` lists every task key)`);
    // a .gitignore of the user's gets one line added, once
    const other = path.join(t.dir, 'other');
    fs.mkdirSync(other);
    fs.writeFileSync(path.join(other, '.gitignore'), 'node_modules');
    await jobctl(['init', other], { cwd: t.dir, env });
    await jobctl(['init', other], { cwd: t.dir, env });
    expect(fs.readFileSync(path.join(other, '.gitignore'), 'utf8')).toBe('node_modules\n# jobctl runtime data: socket, pid file, db.json, logs\n/state/\n');
  });

  it('the home in use is named: how it was chosen, when no daemon runs', async () => {
    const dir = path.join(t.dir, 'proj');
    const fromCwd = await jobctl(['status'], { cwd: dir, env });
    expect(fromCwd.code).toBe(3);
    expect(fromCwd.stderr).toBe(`jobctl: daemon not running for home ${dir} (the current directory has tasks/): start it with \`jobctl up\` (or \`jobctl daemon\` in the foreground)`);
    const fromFlag = await jobctl(['--home', dir, 'status'], { cwd: t.dir, env });
    expect(fromFlag.stderr).toContain(`for home ${dir} (from --home)`);
    const fallback = await jobctl(['status'], { cwd: t.dir, env });
    expect(fallback.stderr).toContain(`for home ${path.join(env.HOME, '.jobctl')} (the default: no --home, no $JOBCTL_HOME, no ./tasks)`);
    const up = await jobctl(['up'], { cwd: t.dir, env });
    expect(up.code).toBe(1);
    expect(up.stderr).toBe(`jobctl: no tasks/ directory in home ${path.join(env.HOME, '.jobctl')} (the default: no --home, no $JOBCTL_HOME, no ./tasks): create one with \`jobctl init ~/.jobctl\`, or pass --home`);
  });

  it('add into a home without tasks/ creates it; rm of the last task removes the file it made', async () => {
    const home = path.join(t.dir, 'bare');
    fs.mkdirSync(home);
    const add = await jobctl(['--home', home, 'add', 'tick', '--schedule', '@hourly', '--', 'echo tick'], { cwd: t.dir, env });
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    const file = path.join(home, 'tasks/tick.yaml');
    expect(fs.readFileSync(file, 'utf8')).toMatch(/^# yaml-language-server: \$schema=\S+\ntasks:\n {2}tick:\n {4}schedule: "@hourly"\n {4}command: echo tick\n$/);
    const rm = await jobctl(['--home', home, 'rm', 'tick'], { cwd: t.dir, env });
    expect(rm.code).toBe(0);
    expect(rm.stdout.split('\n')[0]).toMatch(/tick\.yaml: remove task tick and its file$/);
    expect(fs.existsSync(file)).toBe(false);
    // a file with more than the task (defaults:) keeps `tasks: {}`
    fs.writeFileSync(path.join(home, 'tasks/shared.yaml'), 'defaults:\n  stop_timeout: 5s\ntasks:\n  one:\n    command: x\n');
    await jobctl(['--home', home, 'rm', 'one'], { cwd: t.dir, env });
    expect(fs.readFileSync(path.join(home, 'tasks/shared.yaml'), 'utf8')).toBe('defaults:\n  stop_timeout: 5s\ntasks: {}\n');
  });

  it('jobctl help keys lists every key of the schema with its default', async () => {
    const r = await jobctl(['help', 'keys'], { cwd: t.dir, env });
    expect(r.code).toBe(0);
    const rows = new Map(r.stdout.split('\n').map((l) => l.split(/\s{2,}/)).filter((c) => c.length >= 2).map((c) => [c[0]!, c[1]!]));
    const schema = taskFileJsonSchema() as { properties: { tasks: { additionalProperties: { properties: Record<string, { properties?: Record<string, unknown> }> } } } };
    for (const [key, node] of Object.entries(schema.properties.tasks.additionalProperties.properties)) {
      expect(r.stdout, key).toMatch(new RegExp(`^${key.replace('.', '\\.')}\\s`, 'm'));
      for (const sub of Object.keys(node.properties ?? {})) expect(r.stdout, `${key}.${sub}`).toMatch(new RegExp(`^${key}\\.${sub}\\s`, 'm'));
    }
    expect(rows.get('command')).toBe('required');
    expect(rows.get('stop_timeout')).toBe('10s');
    expect(rows.get('overlap')).toBe('skip');
    expect(rows.get('logs.max_size')).toBe('100MB');
    expect(rows.get('instances')).toBe('1');
    const j = JSON.parse((await jobctl(['help', 'keys', '--json'], { cwd: t.dir, env })).stdout);
    expect(j.tasks.find((k: { key: string }) => k.key === 'retry_delay')).toEqual({ key: 'retry_delay', default: '10s', meaning: 'cron: delay before the first retry, doubling each time' });
    expect((await jobctl(['help', 'status'], { cwd: t.dir, env })).stdout).toMatch(/^Usage: jobctl status/);
    expect((await jobctl(['help', 'nope'], { cwd: t.dir, env })).code).toBe(2);
  });

  it('status names the home in its header', async () => {
    const home = path.join(t.dir, 'proj');
    const d = await startTestDaemon(home);
    const r = await jobctl(['status'], { cwd: home, env });
    expect(r.stdout.split('\n')[0]).toMatch(new RegExp(`^home ${home} \\(the current directory has tasks/\\) · daemon pid ${d.pid}, up \\S+ · 1 task$`));
  });
});

