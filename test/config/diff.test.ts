import { describe, expect, it } from 'vitest';
import { diff } from '../../src/config/diff.js';
import type { ServiceTaskSpec, TaskSpec } from '../../src/shared/types.js';

function daemon(name: string, over: Partial<ServiceTaskSpec> = {}): TaskSpec {
  return {
    name, group: 'g', kind: 'service', command: 'x', cwd: '/', env: {}, enabled: true, stopSignal: 'SIGTERM',
    stopTimeoutMs: 1000, logs: { maxSize: 1, keep: 1, timestamps: true }, source: { file: '/f.yaml', line: 1 },
    instances: 1, restart: 'always', backoff: { initialMs: 1, maxMs: 2 }, startMs: 1, startRetries: 1, maxRestarts: 1, restartWindowMs: 1,
    ...over,
  };
}

describe('diff', () => {
  it('sorts tasks into added, removed, changed (with keys) and unchanged', () => {
    const before = [daemon('a'), daemon('b'), daemon('c'), daemon('d')];
    const after = [
      daemon('a'),
      daemon('b', { instances: 3, env: { X: '1' } }),
      daemon('d', { source: { file: '/other.yaml', line: 40 } }),
      daemon('e'),
    ];
    const d = diff(before, after);
    expect(d.added.map((t) => t.name)).toEqual(['e']);
    expect(d.removed.map((t) => t.name)).toEqual(['c']);
    expect(d.changed.map((c) => [c.after.name, c.keys])).toEqual([['b', ['env', 'instances']]]);
    expect(d.unchanged.map((t) => t.name)).toEqual(['a', 'd']);
  });

  it('sees nested changes and a kind change', () => {
    const before = [daemon('a', { backoff: { initialMs: 1, maxMs: 2 } })];
    const after = [daemon('a', { backoff: { initialMs: 1, maxMs: 3 } })];
    expect(diff(before, after).changed[0]!.keys).toEqual(['backoff']);
    const cron = { ...daemon('a'), kind: 'cron', schedule: '* * * * *' } as unknown as TaskSpec;
    expect(diff(before, [cron]).changed[0]!.keys).toContain('kind');
  });

  it('is empty for the same tasks in another order', () => {
    const d = diff([daemon('a'), daemon('b')], [daemon('b'), daemon('a')]);
    expect([d.added, d.removed, d.changed]).toEqual([[], [], []]);
  });
});
