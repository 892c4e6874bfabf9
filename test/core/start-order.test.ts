import { describe, expect, it } from 'vitest';
import { dependencyEdges, startWaves, stopWaves, waitReason, type DependencyFacts } from '../../src/core/start-order.js';
import { findCycle } from '../../src/shared/dependency-graph.js';

const facts = (over: Partial<DependencyFacts> = {}): DependencyFacts => ({ started: false, healthy: false, completed: false, summary: 'stopped', ...over });

describe('waitReason', () => {
  const table: Array<[string, Record<string, 'started' | 'healthy' | 'completed'> | undefined, Record<string, DependencyFacts>, string | undefined]> = [
    ['no dependencies', undefined, {}, undefined],
    ['started: met by a starting task', { db: 'started' }, { db: facts({ started: true, summary: 'starting' }) }, undefined],
    ['started: not met', { db: 'started' }, { db: facts() }, 'waiting for db: stopped (needs started)'],
    ['healthy: started is not enough', { db: 'healthy' }, { db: facts({ started: true, summary: 'unhealthy' }) }, 'waiting for db: unhealthy (needs healthy)'],
    ['healthy: met', { db: 'healthy' }, { db: facts({ started: true, healthy: true, summary: 'healthy' }) }, undefined],
    ['completed: last run failed', { migrate: 'completed' }, { migrate: facts({ summary: 'last run failed' }) }, 'waiting for migrate: last run failed (needs completed)'],
    ['completed: met', { migrate: 'completed' }, { migrate: facts({ completed: true, summary: 'succeeded' }) }, undefined],
    ['several: the first unmet in name order', { b: 'started', a: 'healthy', c: 'started' },
      { a: facts({ healthy: true, started: true }), b: facts({ summary: 'backoff' }), c: facts() }, 'waiting for b: backoff (needs started)'],
    ['unknown at runtime (its file is invalid)', { db: 'started' }, {}, 'waiting for db: not loaded (no such task in the running config)'],
  ];
  it.each(table)('%s', (_name, deps, known, expected) => {
    expect(waitReason(deps, (n) => known[n])).toBe(expected);
  });
});

describe('waves', () => {
  // web -> api -> db, api -> cache; worker -> db; report alone
  const edges = dependencyEdges([
    { name: 'web', dependsOn: { api: 'healthy' } },
    { name: 'api', dependsOn: { db: 'healthy', cache: 'started' } },
    { name: 'db' },
    { name: 'cache' },
    { name: 'worker', dependsOn: { db: 'started' } },
    { name: 'report' },
  ]);
  const all = [...edges.keys()];

  it('starts dependencies first, independent tasks together', () => {
    expect(startWaves(edges, all)).toEqual([['cache', 'db', 'report'], ['api', 'worker'], ['web']]);
  });

  it('stops in reverse', () => {
    expect(stopWaves(edges, all)).toEqual([['web'], ['api', 'worker'], ['cache', 'db', 'report']]);
  });

  it('orders only the tasks asked for (edges through others ignored)', () => {
    expect(startWaves(edges, ['web', 'db'])).toEqual([['db', 'web']]);
    expect(stopWaves(edges, ['db', 'worker'])).toEqual([['worker'], ['db']]);
  });

  it('a chain a -> b -> c', () => {
    const chain = dependencyEdges([{ name: 'a', dependsOn: { b: 'healthy' } }, { name: 'b', dependsOn: { c: 'completed' } }, { name: 'c' }]);
    expect(startWaves(chain, ['a', 'b', 'c'])).toEqual([['c'], ['b'], ['a']]);
    expect(stopWaves(chain, ['a', 'b', 'c'])).toEqual([['a'], ['b'], ['c']]);
  });
});

describe('findCycle', () => {
  it('finds none in a tree, one in a loop, and ignores unknown names', () => {
    expect(findCycle(new Map([['a', ['b']], ['b', ['c']], ['c', []]]))).toBeUndefined();
    expect(findCycle(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']]]))).toEqual(['a', 'b', 'c', 'a']);
    expect(findCycle(new Map([['a', ['zzz']]]))).toBeUndefined();
  });
});
