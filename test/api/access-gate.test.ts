import { describe, expect, it } from 'vitest';
import { ConnectionAccess, type AccessSource } from '../../src/api/access-gate.js';
import type { ControlResult, StatusResult, TaskStatus } from '../../src/shared/protocol.js';

const TASKS = [
  { name: 'report-daily', group: 'reports' },
  { name: 'report-web', group: 'reports' },
  { name: 'ops-backup', group: 'ops' },
];
const src: AccessSource = {
  owner: 'root',
  rules: () => ({ alice: { role: 'operator', tasks: ['report-d*'] } }),
  tasks: () => TASKS,
  groupOf: (n) => TASKS.find((t) => t.name === n)?.group,
};
const waiting: TaskStatus = {
  name: 'report-daily', group: 'reports', kind: 'cron', enabled: true, file: '/h/tasks/reports.yaml', state: 'waiting', desired: 'running', restarts: 0,
  waiting: 'waiting for ops-backup: stopped (needs started)',
};
const HIDDEN = 'waiting for a task outside your rights: stopped (needs started)';

describe('the rights of one connection: what a scoped caller is answered', () => {
  it('a task of the scope waiting on one outside it does not name it, in status and in control results', () => {
    const alice = new ConnectionAccess(src);
    alice.identify('alice', undefined);
    const status = alice.admit('status', {});
    expect(status.params.only).toEqual(['report-daily']);
    const s = alice.shape('status', { daemon: { configErrors: [], warnings: [] }, tasks: [waiting] } as unknown as StatusResult, status) as StatusResult;
    expect(s.tasks[0]?.waiting).toBe(HIDDEN);
    const start = alice.admit('start', { target: '@reports' });
    const r = alice.shape('start', { tasks: [waiting] } satisfies ControlResult, start) as ControlResult;
    expect(r).toMatchObject({ outOfScope: 1, tasks: [{ name: 'report-daily', waiting: HIDDEN }] });
    const run = alice.admit('run', { task: 'report-daily' });
    expect((alice.shape('run', { task: waiting }, run) as { task: TaskStatus }).task.waiting).toBe(HIDDEN);
    expect(JSON.stringify([s.tasks, r, alice.shape('scale', { task: waiting }, alice.admit('scale', { task: 'report-daily', count: 1 }))])).not.toMatch(/ops-backup/);
  });

  it('the owner (no operator named) is answered in full', () => {
    const owner = new ConnectionAccess(src);
    const start = owner.admit('start', { target: 'report-daily' });
    expect((owner.shape('start', { tasks: [waiting] }, start) as ControlResult).tasks[0]?.waiting).toBe(waiting.waiting);
  });

  it('plan --dir is refused to an operator, and plan is not', () => {
    const alice = new ConnectionAccess(src);
    alice.identify('alice', undefined);
    expect(() => alice.admit('plan', { dir: '/etc' })).toThrow(/^alice may not plan another directory \(operator of report-d\*\)/);
    expect(() => alice.admit('plan', {})).not.toThrow();
  });
});
