import { describe, expect, it } from 'vitest';
import { Scope, mayCall, roleNeeded } from '../../src/core/access.js';
import { HIDDEN_TASK, groupsOf, redactNames, scopedError, scopedPush, scopedStatus } from '../../src/core/access-view.js';
import type { DaemonInfo, StatusResult, TaskStatus } from '../../src/shared/protocol.js';

const TASKS = [
  { name: 'billing-sync', group: 'billing' },
  { name: 'ops-db', group: 'ops' },
  { name: 'ops', group: 'ops' },
];
const alice = new Scope(['@billing']);
const task = (name: string, group: string, waiting?: string) => ({ name, group, kind: 'service', enabled: true, file: `/h/tasks/${group}.yaml`, state: 'waiting', desired: 'running', restarts: 0, ...(waiting ? { waiting } : {}) }) as TaskStatus;

describe('rights: names outside a scope are taken out of the lines a scoped connection reads', () => {
  it('a wait reason, an event, an error: each name of a task outside the scope is replaced, in-scope names stay', () => {
    expect(redactNames(alice, 'waiting for ops-db: disabled (needs started)', groupsOf(TASKS))).toBe(`waiting for ${HIDDEN_TASK}: disabled (needs started)`);
    expect(redactNames(alice, 'billing-sync needs ops-db, ops and ops-db.', groupsOf(TASKS))).toBe(`billing-sync needs ${HIDDEN_TASK}, ${HIDDEN_TASK} and ${HIDDEN_TASK}.`);
    // A name inside a longer name is that longer name, not the shorter one.
    expect(redactNames(alice, 'ops-dbx and ops-db-2', groupsOf(TASKS))).toBe('ops-dbx and ops-db-2');
    // A dependency that is no loaded task is judged by its name.
    expect(redactNames(alice, 'waiting for gone-task: not loaded (no such task in the running config)', groupsOf(TASKS))).toBe(`waiting for ${HIDDEN_TASK}: not loaded (no such task in the running config)`);
    expect(redactNames(new Scope(['@billing', 'gone-*']), 'waiting for gone-task: not loaded', groupsOf(TASKS))).toBe('waiting for gone-task: not loaded');
    expect(redactNames(new Scope(undefined), 'waiting for ops-db: disabled', groupsOf(TASKS))).toBe('waiting for ops-db: disabled');
  });

  it('status, state pushes, event pushes and errors of a scoped connection carry no name outside it', () => {
    const daemon = { configErrors: [], warnings: [] } as unknown as DaemonInfo;
    const r: StatusResult = { daemon, tasks: [task('billing-sync', 'billing', 'waiting for ops-db: disabled (needs started)'), task('ops-db', 'ops')] };
    expect(JSON.stringify(scopedStatus(alice, r, groupsOf(TASKS)))).not.toContain('ops-db');
    const groupOf = (n: string) => TASKS.find((t) => t.name === n)?.group;
    const state = scopedPush(alice, { event: 'state', data: r.tasks[0]! }, groupOf, new Set());
    expect(state?.event === 'state' && state.data.waiting).toBe(`waiting for ${HIDDEN_TASK}: disabled (needs started)`);
    const ev = scopedPush(alice, { event: 'event', data: { at: 1, level: 'info', task: 'billing-sync', message: 'waiting for ops-db: disabled (needs started)' } }, groupOf, new Set());
    expect(JSON.stringify(ev)).not.toContain('ops-db');
    const err = scopedError(alice, { code: 'BAD_TARGET', message: 'billing-sync: ops-db refused', data: { tasks: r.tasks } }, groupsOf(TASKS));
    expect(err.message).toBe(`billing-sync: ${HIDDEN_TASK} refused`);
    expect(JSON.stringify(err)).not.toContain('ops-db');
    expect((err.data as { tasks: TaskStatus[] }).tasks.map((t) => t.name)).toEqual(['billing-sync']);
    // The name the caller gave is no news to it: a refusal says what it refused.
    expect(scopedError(alice, { code: 'FORBIDDEN', message: 'alice may not stop ops-db (operator of @billing)' }, groupsOf(TASKS), 'ops-db').message).toBe('alice may not stop ops-db (operator of @billing)');
  });
});

describe('rights: a param that reaches past the home needs more than its method', () => {
  it('plan --dir reads any directory of the host: admin only; plan and plan --rev stay a viewer\'s', () => {
    expect(roleNeeded('plan', { dir: '/etc' })).toBe('admin');
    expect(roleNeeded('plan', { rev: 'origin/main' })).toBe('viewer');
    expect(mayCall('viewer', 'plan')).toBe(true);
    expect(mayCall('operator', 'plan', { dir: '/etc' })).toBe(false);
    expect(mayCall('admin', 'plan', { dir: '/etc' })).toBe(true);
  });

  it('the daemon\'s lines about a task of the scope (a rolling restart, a run, the executor\'s last error) are redacted; the task\'s own name stays', () => {
    const t = { ...task('billing-sync', 'billing'), rolling: { state: 'failed', done: 0, total: 2, startedAt: 1, message: 'billing-sync waited for ops-db' } } as unknown as TaskStatus;
    const c = { ...task('billing-report', 'billing'), kind: 'cron', state: 'scheduled', lastRun: { id: 'r1', task: 'billing-report', message: 'skipped: ops-db is running' }, activeRuns: [{ id: 'r2', task: 'billing-report', message: 'after ops-db' }] } as unknown as TaskStatus;
    const daemon = { configErrors: [], warnings: [], xxljob: { enabled: true, registered: true, pendingCallbacks: 0, activeRuns: 0, delivered: 0, lastError: 'job 7: ops-db is disabled' } } as unknown as DaemonInfo;
    const out = scopedStatus(alice, { daemon, tasks: [t, c] }, groupsOf([...TASKS, { name: 'billing-report', group: 'billing' }]));
    expect(JSON.stringify(out)).not.toContain('ops-db');
    expect(out.tasks[0]!.rolling!.message).toBe(`billing-sync waited for ${HIDDEN_TASK}`);
    expect(out.tasks[1]!.lastRun!.message).toBe(`skipped: ${HIDDEN_TASK} is running`);
    expect(out.tasks[1]!.activeRuns![0]!.message).toBe(`after ${HIDDEN_TASK}`);
    expect(out.daemon.xxljob!.lastError).toBe(`job 7: ${HIDDEN_TASK} is disabled`);
    // Unscoped: as written.
    expect(scopedStatus(new Scope(undefined), { daemon, tasks: [t] }, groupsOf(TASKS)).daemon.xxljob!.lastError).toBe('job 7: ops-db is disabled');
  });
});
