import { describe, expect, it } from 'vitest';
import { METHOD_ROLE, Scope, checkRole, describeIdentity, isControl, mayCall, narrowTarget, resolveIdentity } from '../../src/core/access.js';
import { scopedPlan, scopedPush, scopedStatus } from '../../src/core/access-view.js';
import { isJobctlError } from '../../src/shared/errors.js';
import { METHODS, type DaemonInfo, type Identity, type StatusResult, type TaskStatus } from '../../src/shared/protocol.js';

const TASKS = [
  { name: 'billing-sync', group: 'billing' },
  { name: 'billing-report', group: 'billing' },
  { name: 'report-daily', group: 'reports' },
  { name: 'report-web', group: 'reports' },
  { name: 'ops-backup', group: 'ops' },
];
const alice: Identity = { operator: 'alice', role: 'operator', tasks: ['@billing', 'report-d*'] };
const bob: Identity = { operator: 'bob', role: 'viewer' };

function thrown(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (e) {
    if (isJobctlError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('did not throw');
}

describe('rights: roles', () => {
  it('viewer reads, operator also controls tasks, admin also the daemon', () => {
    const allowed = (role: 'viewer' | 'operator' | 'admin') => METHODS.filter((m) => mayCall(role, m)).sort();
    expect(allowed('viewer')).toEqual(['hello', 'history', 'identify', 'logs', 'plan', 'status', 'subscribe', 'unsubscribe']);
    expect(allowed('operator')).toEqual(['hello', 'history', 'identify', 'kill', 'logs', 'plan', 'restart', 'run', 'scale', 'start', 'status', 'stop', 'subscribe', 'unsubscribe']);
    expect(allowed('admin')).toEqual([...METHODS].sort());
    expect(METHODS.filter(isControl).sort()).toEqual(['audit', 'kill', 'notify-test', 'reload', 'restart', 'run', 'scale', 'shutdown', 'start', 'stop']);
    expect(Object.keys(METHOD_ROLE).sort()).toEqual([...METHODS].sort());
  });

  it('an identity comes from access: as it is now; no claim is the owner, admin', () => {
    const access = { alice: { role: 'operator' as const, tasks: ['@billing'] }, bob: { role: 'viewer' as const } };
    expect(resolveIdentity(undefined, 'root', access)).toEqual({ operator: 'root', role: 'admin' });
    expect(resolveIdentity('alice', 'root', access)).toEqual({ operator: 'alice', role: 'operator', tasks: ['@billing'] });
    expect(thrown(() => resolveIdentity('carol', 'root', access))).toMatchObject({ code: 'FORBIDDEN', message: expect.stringMatching(/^unknown operator "carol": not in access: of jobctl\.yaml/) });
    expect(thrown(() => resolveIdentity('toString', 'root', access)).code).toBe('FORBIDDEN');
    expect(thrown(() => resolveIdentity('alice', 'root', undefined)).code).toBe('FORBIDDEN');
    expect(describeIdentity(alice)).toBe('operator of @billing, report-d*');
    expect(describeIdentity(bob)).toBe('viewer');
  });

  it('plan --dir reads any directory on the host: admin only; plan and plan --rev stay a viewer\'s', () => {
    expect(thrown(() => checkRole(bob, 'plan', { dir: '/etc' }))).toEqual({ code: 'FORBIDDEN', message: expect.stringMatching(/^bob may not plan another directory \(viewer\)/) });
    expect(thrown(() => checkRole(alice, 'plan', { dir: '/srv/other/tasks' })).code).toBe('FORBIDDEN');
    expect(() => checkRole(bob, 'plan', {})).not.toThrow();
    expect(() => checkRole(bob, 'plan', { rev: 'HEAD~1' })).not.toThrow();
    expect(() => checkRole({ operator: 'carol', role: 'admin' }, 'plan', { dir: '/srv/other/tasks' })).not.toThrow();
  });
});

describe('rights: scopes and targets', () => {
  it('a scope covers names, globs and groups', () => {
    const s = new Scope(['@billing', 'report-d*']);
    expect(TASKS.filter((t) => s.covers(t)).map((t) => t.name)).toEqual(['billing-sync', 'billing-report', 'report-daily']);
    expect(s.coversName('report-dx')).toBe(true);
    expect(s.coversName('billing-sync')).toBe(false); // by group only: the name alone does not say
    expect(new Scope(undefined).covers({ name: 'x', group: 'y' })).toBe(true);
  });

  it('a group or --all comes to the tasks in scope, counting the rest', () => {
    expect(narrowTarget(alice, 'stop', '@reports', TASKS)).toEqual({ names: ['report-daily'], outOfScope: 1 });
    expect(narrowTarget(alice, 'stop', '*', TASKS)).toEqual({ names: ['billing-report', 'billing-sync', 'report-daily'], outOfScope: 2 });
    expect(narrowTarget(alice, 'start', 'billing-sync', TASKS)).toEqual({ names: ['billing-sync'], outOfScope: 0 });
  });

  it('outside the scope is FORBIDDEN whether or not the task exists; a typo in scope gets suggestions from the scope', () => {
    expect(thrown(() => narrowTarget(alice, 'stop', 'report-web', TASKS))).toEqual({ code: 'FORBIDDEN', message: 'alice may not stop report-web (operator of @billing, report-d*)' });
    expect(thrown(() => narrowTarget(alice, 'stop', 'nope', TASKS)).message).toBe('alice may not stop nope (operator of @billing, report-d*)');
    expect(thrown(() => narrowTarget(alice, 'stop', '@ops', TASKS)).message).toBe('alice may not stop @ops (operator of @billing, report-d*)');
    expect(thrown(() => narrowTarget(alice, 'stop', '@no-such-group', TASKS)).code).toBe('FORBIDDEN');
    const typo = thrown(() => narrowTarget(alice, 'logs', 'report-dialy', TASKS));
    expect(typo).toEqual({ code: 'NOT_FOUND', message: 'no task named "report-dialy" (did you mean "report-daily"?); `jobctl status` lists yours' });
    const scoped: Identity = { operator: 'x', role: 'operator', tasks: ['nothing-*'] };
    expect(narrowTarget(scoped, 'status', '*', TASKS)).toEqual({ names: [], outOfScope: 5 });
    expect(thrown(() => narrowTarget(scoped, 'stop', '*', TASKS)).message).toBe('x may not stop any task (operator of nothing-*)');
  });
});

describe('rights: what a scoped connection is shown', () => {
  const task = (name: string, group: string): TaskStatus => ({ name, group, kind: 'service', enabled: true, file: `/h/tasks/${group}.yaml`, state: 'running', desired: 'running', restarts: 0 });
  const daemon: DaemonInfo = {
    pid: 1, version: '1', home: '/h', tasksDir: '/h/tasks', startedAt: 0, warnings: ['report-web restarted 5 times'], keptFiles: ['tasks/ops.yaml'],
    configErrors: [
      { file: 'tasks/billing.yaml', line: 1, col: 1, task: 'billing-sync', message: 'a' },
      { file: 'tasks/reports.yaml', line: 2, col: 1, task: 'report-web', message: 'b' },
      { file: 'tasks/billing.yaml', line: 3, col: 1, message: 'c' },
      { file: 'tasks/ops.yaml', line: 3, col: 1, message: 'd' },
      { file: 'jobctl.yaml', line: 3, col: 1, message: 'e' },
    ],
  };
  const scope = new Scope(alice.tasks);
  const groupOf = (n: string) => TASKS.find((t) => t.name === n)?.group;

  it('status and the daemon info keep only the scope', () => {
    const r: StatusResult = { daemon, tasks: TASKS.map((t) => task(t.name, t.group)), elsewhere: [{ name: 'report-eu', group: 'reports', kind: 'cron', hosts: ['eu'] }, { name: 'x', group: 'ops', kind: 'cron', hosts: [] }] };
    const shown = scopedStatus(scope, r, groupOf);
    expect(shown.tasks.map((t) => t.name)).toEqual(['billing-sync', 'billing-report', 'report-daily']);
    expect(shown.daemon.configErrors.map((e) => e.message)).toEqual(['a', 'c']);
    expect(shown.daemon.warnings).toEqual([]);
    expect(shown.daemon.keptFiles).toBeUndefined();
    expect(shown.elsewhere).toEqual([]);
    expect(scopedStatus(new Scope(undefined), r, groupOf)).toBe(r);
  });

  it('the plan keeps only the scope', () => {
    const plan = scopedPlan(scope, { added: ['report-dx', 'ops-new'], removed: ['report-web'], changed: [{ name: 'billing-sync', keys: ['command'] }, { name: 'ops-backup', keys: ['env'] }], unchanged: 2, errors: daemon.configErrors, keptFiles: ['x'] }, TASKS);
    expect(plan).toEqual({ added: ['report-dx'], removed: [], changed: [{ name: 'billing-sync', keys: ['command'] }], unchanged: 2, errors: daemon.configErrors.filter((e) => 'ac'.includes(e.message)) });
  });

  it('pushes of tasks outside the scope are left out', () => {
    const seen = new Set(['billing-sync']);
    const push = (msg: Parameters<typeof scopedPush>[1]) => scopedPush(scope, msg, groupOf, seen);
    expect(push({ event: 'state', data: task('report-web', 'reports') })).toBeUndefined();
    expect(push({ event: 'state', data: task('billing-sync', 'billing') })).toBeDefined();
    expect(push({ event: 'removed', data: { name: 'report-web' } })).toBeUndefined();
    expect(push({ event: 'removed', data: { name: 'billing-sync' } })).toBeDefined();
    expect(push({ event: 'event', data: { at: 1, level: 'info', message: 'reload: +ops-x' } })).toBeUndefined();
    expect(push({ event: 'event', data: { at: 1, level: 'info', task: 'report-daily', message: 'ran' } })).toBeDefined();
    expect(push({ event: 'log', data: { subscription: 1, task: 'ops-backup', text: 'x' } })).toBeUndefined();
    expect(push({ event: 'log-end', data: { subscription: 1, reason: 'x' } })).toBeDefined();
    const d = push({ event: 'daemon', data: daemon });
    expect(d?.event === 'daemon' && d.data.warnings).toEqual([]);
  });

  it('a problem or event of a task in scope does not name a task outside it (did you mean, depends_on, a cycle)', () => {
    const issues = [
      { file: 'tasks/billing.yaml', line: 4, col: 18, task: 'billing-sync', message: 'depends_on: unknown task "ops-bakup" (did you mean "ops-backup"?); name a task defined in the task directory' },
      { file: 'tasks/billing.yaml', line: 5, col: 3, task: 'billing-sync', message: 'depends_on: a cycle: billing-sync -> report-web -> billing-sync; remove one of these dependencies' },
    ];
    const r: StatusResult = { daemon: { ...daemon, configErrors: issues }, tasks: TASKS.map((t) => task(t.name, t.group)) };
    const shown = scopedStatus(scope, r, groupOf).daemon.configErrors.map((e) => e.message);
    expect(shown).toEqual([
      'depends_on: unknown task "ops-bakup" (did you mean "a task outside your rights"?); name a task defined in the task directory',
      'depends_on: a cycle: billing-sync -> a task outside your rights -> billing-sync; remove one of these dependencies',
    ]);
    const plan = scopedPlan(scope, { added: [], removed: [], changed: [], unchanged: 0, errors: issues }, TASKS);
    expect(plan.errors.map((e) => e.message)).toEqual(shown);
    const ev = scopedPush(scope, { event: 'event', data: { at: 1, level: 'info', task: 'report-daily', message: 'report-daily waits for ops-backup.' } }, groupOf, new Set());
    expect(ev?.event === 'event' && ev.data.message).toBe('report-daily waits for a task outside your rights.');
    expect(scopedStatus(new Scope(undefined), r, groupOf).daemon.configErrors).toBe(issues);
    const waits = { ...task('report-daily', 'reports'), state: 'stopped' as const, waiting: 'waiting for ops-backup: stopped (needs started)' };
    expect(scopedStatus(scope, { ...r, tasks: [waits] }, groupOf).tasks[0]?.waiting).toBe('waiting for a task outside your rights: stopped (needs started)');
    const st = scopedPush(scope, { event: 'state', data: waits }, groupOf, new Set());
    expect(st?.event === 'state' && st.data.waiting).toBe('waiting for a task outside your rights: stopped (needs started)');
  });
});
