import { afterAll, describe, expect, it } from 'vitest';
import { loadTaskDir } from '../../src/config/load.js';
import type { DaemonTaskSpec } from '../../src/shared/types.js';
import { tempDir, writeFiles } from '../helpers/temp.js';

const temps: Array<() => void> = [];
afterAll(() => temps.forEach((c) => c()));

function load(files: Record<string, string>) {
  const { dir, cleanup } = tempDir();
  temps.push(cleanup);
  writeFiles(dir, files);
  return loadTaskDir(dir, 'tasks');
}

describe('health, depends_on and update in task files', () => {
  it('normalizes each probe form with defaults and units', () => {
    const set = load({
      'a.yaml': `tasks:
  web:
    command: x
    health: {http: "http://127.0.0.1:8080/health"}
  api:
    command: x
    health:
      http: {url: "http://[::1]:9000/ready", status: 204}
      interval: 2s
      timeout: 500ms
      start_period: 1m
      failures: 0
  cache:
    command: x
    health: {tcp: "[::1]:6379"}
  db:
    command: x
    update: rolling
    health: {command: ["pg_isready", "-q"], failures: 5}
`,
    });
    expect(set.errors).toEqual([]);
    const h = Object.fromEntries(set.tasks.map((t) => [t.name, (t as DaemonTaskSpec)]));
    expect(h.web!.health).toEqual({ probe: { kind: 'http', url: 'http://127.0.0.1:8080/health' }, intervalMs: 10_000, timeoutMs: 5000, startPeriodMs: 0, failures: 3 });
    expect(h.api!.health).toEqual({ probe: { kind: 'http', url: 'http://[::1]:9000/ready', status: 204 }, intervalMs: 2000, timeoutMs: 500, startPeriodMs: 60_000, failures: 0 });
    expect(h.cache!.health!.probe).toEqual({ kind: 'tcp', host: '::1', port: 6379 });
    expect(h.db!.health!.probe).toEqual({ kind: 'command', command: ['pg_isready', '-q'] });
    expect(h.db!.update).toBe('rolling');
    expect(h.web!.update).toBeUndefined();
  });

  it('depends_on across files and kinds, from defaults too', () => {
    const set = load({
      'db.yaml': 'tasks:\n  db:\n    command: x\n    health: {tcp: "127.0.0.1:5432"}\n  migrate:\n    command: x\n    restart: never\n',
      'app.yaml': 'defaults:\n  depends_on: {db: healthy}\ntasks:\n  web:\n    command: x\n    depends_on: {migrate: completed}\n  report:\n    command: x\n    schedule: "@daily"\n',
    });
    expect(set.errors).toEqual([]);
    const deps = Object.fromEntries(set.tasks.map((t) => [t.name, t.dependsOn]));
    expect(deps).toEqual({ db: undefined, migrate: undefined, web: { db: 'healthy', migrate: 'completed' }, report: { db: 'healthy' } });
  });

  it('a cron task can be waited for with completed', () => {
    const set = load({ 'a.yaml': 'tasks:\n  seed:\n    command: x\n    schedule: "@daily"\n  web:\n    command: x\n    depends_on: {seed: completed}\n' });
    expect(set.errors).toEqual([]);
  });

  it('a task in a cycle is not loaded; the rest of its file is not either (file-level last good)', () => {
    const set = load({ 'a.yaml': 'tasks:\n  a:\n    command: x\n    depends_on: {b: started}\n  b:\n    command: x\n    depends_on: {c: started}\n  c:\n    command: x\n    depends_on: {a: started}\n' });
    expect(set.errors.map((e) => `${e.line}:${e.col} ${e.task}`)).toEqual(['4:18 a', '7:18 b', '10:18 c']);
    expect(set.errors[0]!.message).toBe('depends_on: a cycle: a -> b -> c -> a; remove one of these dependencies');
    expect(set.tasks).toEqual([]);
  });
});
