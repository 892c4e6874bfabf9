import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/config/defaults.js';
import { findTaskFiles, loadTaskDir, loadTaskFiles } from '../../src/config/load.js';
import { taskShape } from '../../src/config/schema.js';
import type { CronTaskSpec, ServiceTaskSpec } from '../../src/shared/types.js';
import { tempDir, writeFiles } from '../helpers/temp.js';

const root = path.resolve(import.meta.dirname, '../..');
const temps: Array<() => void> = [];
afterAll(() => temps.forEach((c) => c()));
function dirWith(files: Record<string, string>): string {
  const { dir, cleanup } = tempDir();
  temps.push(cleanup);
  writeFiles(dir, files);
  return dir;
}

describe('loading a task directory', () => {
  it('normalizes a service task with every default', () => {
    const dir = dirWith({ 'web.yaml': 'tasks:\n  api:\n    command: node server.js\n' });
    const set = loadTaskDir(dir);
    expect(set.errors).toEqual([]);
    const t = set.tasks[0] as ServiceTaskSpec;
    expect(t).toEqual({
      name: 'api', group: 'web', kind: 'service', command: 'node server.js', cwd: dir, env: {},
      enabled: true, stopSignal: 'SIGTERM', stopTimeoutMs: 10_000,
      logs: { maxSize: 100 * 1024 * 1024, keep: 5, timestamps: true },
      source: { file: path.join(dir, 'web.yaml'), line: 2 },
      instances: 1, restart: 'always', backoff: { initialMs: 1000, maxMs: 60_000 }, startMs: 1000,
      startRetries: 5, maxRestarts: 10, restartWindowMs: 60_000,
    });
  });

  it('normalizes a cron task with every default', () => {
    const dir = dirWith({ 'jobs.yml': 'tasks:\n  tick:\n    schedule: "@hourly"\n    command: [echo, hi]\n' });
    const t = loadTaskDir(dir).tasks[0] as CronTaskSpec;
    expect(t.kind).toBe('cron');
    expect(t.command).toEqual(['echo', 'hi']);
    expect(t).toMatchObject({
      jitterMs: 0, retries: 0, retryDelayMs: 10_000, overlap: 'skip', catchup: 'none', history: 50,
    });
    expect(t.timeoutMs).toBeUndefined();
    expect(t.timezone).toBeUndefined();
  });

  it('applies defaults: per kind, task keys win, env/logs/backoff merge', () => {
    const dir = dirWith({
      'mix.yaml': [
        'defaults:',
        '  timeout: 5m',
        '  instances: 3',
        '  stop_signal: INT',
        '  env: {A: "1", B: "2"}',
        '  logs: {keep: 2}',
        'tasks:',
        '  job:',
        '    schedule: "*/5 * * * * *"',
        '    command: x',
        '    env: {B: three, C: 4}',
        '  web:',
        '    command: y',
        '    logs: {timestamps: false}',
        '    instances: 1',
        '',
      ].join('\n'),
    });
    const set = loadTaskDir(dir);
    expect(set.errors).toEqual([]);
    const job = set.tasks.find((t) => t.name === 'job') as CronTaskSpec;
    const web = set.tasks.find((t) => t.name === 'web') as ServiceTaskSpec;
    expect(job.timeoutMs).toBe(300_000);
    expect(job.env).toEqual({ A: '1', B: 'three', C: '4' });
    expect(job.stopSignal).toBe('SIGINT');
    expect((job as unknown as Record<string, unknown>).instances).toBeUndefined();
    expect(web.instances).toBe(1);
    expect(web.logs).toEqual({ maxSize: DEFAULTS.logs.maxSize, keep: 2, timestamps: false });
    expect((web as unknown as Record<string, unknown>).timeoutMs).toBeUndefined();
  });

  it('resolves cwd and env_file against the task file directory, groups by file name, reads subfolders', () => {
    const dir = dirWith({
      'team/billing.yaml': 'tasks:\n  invoice:\n    command: x\n    cwd: ../work\n    env_file: .env\n',
      'team/.env': 'A=1\n',
      'work/.keep': '',
    });
    const t = loadTaskDir(dir).tasks[0]!;
    expect(t.group).toBe('billing');
    expect(t.cwd).toBe(path.join(dir, 'work'));
    expect(t.envFile).toBe(path.join(dir, 'team/.env'));
  });

  it('keeps the valid files when one is invalid', () => {
    const dir = dirWith({ 'good.yaml': 'tasks:\n  a:\n    command: x\n', 'bad.yaml': 'tasks:\n  b:\n    comand: x\n' });
    const set = loadTaskDir(dir);
    expect(set.tasks.map((t) => t.name)).toEqual(['a']);
    expect(set.files.map((f) => [path.basename(f.file), f.tasks, f.errors])).toEqual([['bad.yaml', [], 2], ['good.yaml', ['a'], 0]]);
  });

  it('skips dot-files and non-yaml files; an empty file has no tasks', () => {
    const dir = dirWith({ '.hidden.yaml': 'garbage: [', 'notes.txt': 'x', 'empty.yaml': '', 'only-comment.yml': '# nothing\n' });
    const set = loadTaskDir(dir);
    expect(set.errors).toEqual([]);
    expect(findTaskFiles(dir).map((p) => path.basename(p))).toEqual(['empty.yaml', 'only-comment.yml']);
  });

  it('reports a missing directory with what to do', () => {
    const set = loadTaskDir('/nonexistent/jobctl/tasks', 'tasks');
    expect(set.errors[0]!.message).toMatch(/does not exist; create it/);
  });

  it('parses notifiers and keeps ${ENV} URLs for send time', () => {
    const dir = dirWith({ 'n.yaml': 'notifiers:\n  ops: {url: "${OPS_HOOK}", format: feishu}\n' });
    const set = loadTaskDir(dir);
    expect(set.notifiers).toEqual([{ name: 'ops', url: '${OPS_HOOK}', format: 'feishu', source: { file: path.join(dir, 'n.yaml'), line: 2 } }]);
  });
});

describe('shipped examples', () => {
  it('tasks/ is valid and has cron and daemon examples', () => {
    const set = loadTaskDir(path.join(root, 'tasks'));
    expect(set.errors).toEqual([]);
    expect(set.tasks.length).toBeGreaterThanOrEqual(3);
    expect(set.tasks.some((t) => t.kind === 'cron')).toBe(true);
    expect(set.tasks.some((t) => t.kind === 'service' && t.instances >= 2)).toBe(true);
  });

  it('tasks.example.yaml is valid and documents every key', () => {
    const file = path.join(root, 'tasks.example.yaml');
    const text = fs.readFileSync(file, 'utf8');
    const set = loadTaskFiles(root, [{ path: file, display: 'tasks.example.yaml', text }]);
    expect(set.errors).toEqual([]);
    for (const key of Object.keys(taskShape)) expect(text, `key ${key}`).toMatch(new RegExp(`^\\s*#?\\s*${key}:`, 'm'));
    for (const key of ['max_size', 'keep', 'timestamps', 'initial', 'max', 'min', 'probe', 'per_instance', 'interval', 'cooldown', 'notifiers', 'defaults']) {
      expect(text, `key ${key}`).toMatch(new RegExp(`^\\s*${key}:`, 'm'));
    }
  });

  it('every example file starts with the schema line', () => {
    for (const f of [...findTaskFiles(path.join(root, 'tasks')), path.join(root, 'tasks.example.yaml')]) {
      expect(fs.readFileSync(f, 'utf8').split('\n')[0]).toMatch(/^# yaml-language-server: \$schema=.*schema\/tasks\.schema\.json$/);
    }
  });
});
