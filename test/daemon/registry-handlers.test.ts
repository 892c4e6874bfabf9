import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import type { Connection } from '../../src/api/server.js';
import { ConfigState } from '../../src/daemon/config-state.js';
import { makeHandlers, type HandlerDeps } from '../../src/daemon/handlers.js';
import { DaemonLog } from '../../src/daemon/logger.js';
import { TaskRegistry } from '../../src/daemon/registry.js';
import { FileRunHistory } from '../../src/runtime/run-history-file.js';
import { JobctlError } from '../../src/shared/errors.js';
import { homePaths } from '../../src/shared/paths.js';
import type { PushMessage } from '../../src/shared/protocol.js';
import type { TaskSpec } from '../../src/shared/types.js';
import { FakeRunner } from '../helpers/fake-runner.js';
import { cronSpec, serviceSpec } from '../helpers/specs.js';

function setup(specs: TaskSpec[]) {
  const made: FakeRunner[] = [];
  const registry = new TaskRegistry({
    factory: {
      create: (spec) => {
        const r = new FakeRunner(spec);
        made.push(r);
        return r;
      },
    },
  });
  return { registry, made, ready: Promise.all(specs.map((s) => registry.add(s))) };
}

/** The error code of a call (sync or async), or 'ok'. */
const code = async (f: () => unknown): Promise<string> => {
  try {
    await f();
    return 'ok';
  } catch (e) {
    return (e as JobctlError).code ?? String(e);
  }
};

const specs = () => [
  serviceSpec({ name: 'web', group: 'app' }),
  serviceSpec({ name: 'worker', group: 'app' }),
  cronSpec({ name: 'report', group: 'cron' }),
  serviceSpec({ name: 'off', group: 'app', enabled: false }),
];

describe('TaskRegistry with fake runners', () => {
  it('starts enabled tasks on add, never a disabled one', async () => {
    const { made, ready } = setup(specs());
    await ready;
    expect(made.map((r) => [r.name, r.calls])).toEqual([['web', ['start']], ['worker', ['start']], ['report', ['start']], ['off', []]]);
  });

  it('require answers NOT_FOUND with a suggestion; a capability the task lacks is WRONG_KIND with what to do', async () => {
    const { registry, ready } = setup(specs());
    await ready;
    expect(() => registry.require('wbe')).toThrow(/no task named "wbe" \(did you mean "web"/);
    expect(await code(() => registry.capability('wbe', 'instances'))).toBe('NOT_FOUND');
    expect(await code(() => registry.capability('report', 'instances'))).toBe('WRONG_KIND');
    try {
      registry.capability('report', 'instances');
      expect.unreachable();
    } catch (e) {
      expect(e).toMatchObject({ code: 'WRONG_KIND', message: 'task "report" is a cron task; scale applies to service tasks' });
    }
    expect(registry.require('web').name).toBe('web');
    expect(registry.capability('web', 'instances').spec.name).toBe('web');
    expect(registry.capable('report', 'instances')).toBeUndefined();
    expect(() => registry.capability('web', 'history')).toThrow('task "web" is a service task; history is kept for cron tasks (see `jobctl logs web`)');
  });

  it('passes commands to the runner whatever its kind; signal with nothing live is NOT_RUNNING', async () => {
    const { registry, made, ready } = setup(specs());
    await ready;
    await registry.stop('report');
    await registry.restart('web');
    expect(await registry.run('report', { trigger: 'manual', tag: 'x' })).toMatchObject({ id: 'r1' });
    expect(registry.signal('web', 'SIGHUP')).toBe(1);
    expect(await code(() => registry.signal('report', 'SIGHUP'))).toBe('NOT_RUNNING');
    expect(made[0]!.calls).toEqual(['start', 'restart', 'signal SIGHUP']);
    expect(made[2]!.calls).toEqual(['start', 'stop', 'run {"trigger":"manual","tag":"x"}', 'signal SIGHUP']);
  });

  it('update goes to the runner; a runner that cannot take it is replaced by a fresh one', async () => {
    const { registry, made, ready } = setup(specs());
    await ready;
    await registry.update({ ...made[0]!.spec, description: 'd' }, ['description']);
    expect(made).toHaveLength(4);
    made[1]!.acceptUpdate = false;
    await registry.update(cronSpec({ name: 'worker', group: 'app' }), ['kind', 'schedule']);
    expect(made).toHaveLength(5);
    expect(made[1]!.calls.slice(-2)).toEqual(['update kind,schedule', 'dispose']);
    expect(made[4]!).toMatchObject({ name: 'worker', kind: 'cron' });
    expect(registry.require('worker').kind).toBe('cron');
  });

  it('a fresh runner (logs edit, kind change) keeps a task the user stopped stopped', async () => {
    const { registry, made, ready } = setup(specs());
    await ready;
    await registry.stop('worker');
    made[1]!.acceptUpdate = false;
    await registry.update({ ...made[1]!.spec, description: 'new logs' }, ['logs']);
    expect(made).toHaveLength(5);
    expect(made[4]!.calls).not.toContain('start');
    expect(registry.status('worker').desired).toBe('stopped');
    // One that runs is started again.
    made[0]!.acceptUpdate = false;
    await registry.update({ ...made[0]!.spec }, ['logs']);
    expect(made[5]!.calls).toEqual(['start']);
    // One that was disabled and is enabled with the same edit starts.
    made[3]!.acceptUpdate = false;
    await registry.update({ ...made[3]!.spec, enabled: true }, ['enabled', 'logs']);
    expect(made[6]!.calls).toEqual(['start']);
  });

  it('enabling a task in its file waits for its depends_on like any start', async () => {
    const { registry, made, ready } = setup([
      cronSpec({ name: 'db', enabled: false }),
      serviceSpec({ name: 'app', enabled: false, dependsOn: { db: 'started' } }),
    ]);
    await ready;
    await registry.update({ ...made[1]!.spec, enabled: true }, ['enabled']);
    expect(made[1]!.calls).toEqual(['update enabled']);
    expect(registry.status('app')).toMatchObject({ state: 'waiting', waiting: expect.stringMatching(/db/) });
    await registry.update({ ...made[0]!.spec, enabled: true }, ['enabled']);
    await vi.waitFor(() => expect(made[1]!.calls).toEqual(['update enabled', 'start']), { timeout: 5000 });
    // Disabled again while waiting: no longer waiting.
    await registry.update({ ...made[1]!.spec, enabled: false }, ['enabled']);
    expect(registry.status('app').state).not.toBe('waiting');
    await registry.close();
  });

  it('rolling restart goes to any runner that offers it, never by asking for a class (no instanceof)', async () => {
    const { registry, made, ready } = setup([serviceSpec({ name: 'web', instances: 2 })]);
    await ready;
    const asked: number[] = [];
    Object.assign(made[0]!.can, { rolling: { start: async (ms: number) => { asked.push(ms); return undefined; } } });
    registry.restartRolling('web', 1234);
    expect(asked).toEqual([1234]);
    const { registry: r2, ready: ready2 } = setup([serviceSpec({ name: 'plain' })]);
    await ready2;
    expect(await code(() => r2.restartRolling('plain', 1))).toBe('WRONG_KIND');
    await registry.close();
    await r2.close();
  });

  it('restart --rolling of a group rolls the runners that can roll and restarts the others, asking no kind', async () => {
    const { registry, made, ready } = setup([serviceSpec({ name: 'web', group: 'g' }), serviceSpec({ name: 'plain', group: 'g' })]);
    await ready;
    const asked: string[] = [];
    Object.assign(made[0]!.can, { rolling: { start: async () => { asked.push('web'); return undefined; } } });
    const { h } = handlers(registry);
    await h.restart({ target: '@g', rolling: true }, conn());
    expect(asked).toEqual(['web']);
    expect(made[0]!.calls).not.toContain('restart');
    expect(made[1]!.calls).toContain('restart');
    await registry.close();
  });

  it('remove disposes; close disposes every runner once and is safe to call twice', async () => {
    const { registry, made, ready } = setup(specs());
    await ready;
    const removed: string[] = [];
    registry.on('removed', (n: string) => removed.push(n));
    await registry.remove('web');
    await registry.remove('web');
    expect(removed).toEqual(['web']);
    expect(registry.has('web')).toBe(false);
    await registry.close(true);
    await registry.close(true);
    expect(made.map((r) => r.disposed)).toEqual([1, 1, 1, 1]);
    expect(made[1]!.calls).toContain('signal SIGKILL');
  });

  it('a task removed from the files and added again does not get its old history back', async () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'jobctl-forget-'));
    try {
      const runLog = (task: string, id: string) => path.join(d, 'logs', task, 'runs', `${id}.log`);
      const history = new FileRunHistory({ dir: path.join(d, 'runs'), runLog });
      const registry = new TaskRegistry({ factory: { create: (spec) => new FakeRunner(spec) }, history });
      await registry.add(cronSpec({ name: 'report', group: 'cron' }));
      await registry.add(cronSpec({ name: 'keep', group: 'cron' }));
      const rec = (task: string, id: string) => ({ id, task, scheduledAt: 1, startedAt: 2, endedAt: 3, exitCode: 0, attempt: 1, trigger: 'schedule' as const, state: 'succeeded' as const });
      for (const t of ['report', 'keep']) {
        history.write(rec(t, `${t}-1`));
        fs.mkdirSync(path.dirname(runLog(t, `${t}-1`)), { recursive: true });
        fs.writeFileSync(runLog(t, `${t}-1`), 'old output\n');
      }
      await registry.remove('report');
      await registry.add(cronSpec({ name: 'report', group: 'cron' }));
      expect(history.list('report')).toEqual([]);
      expect(history.summary('report').total).toBe(0);
      // A restarted daemon does not find it either, and the old run log is gone.
      expect(new FileRunHistory({ dir: path.join(d, 'runs') }).list('report')).toEqual([]);
      await vi.waitFor(() => expect(fs.existsSync(runLog('report', 'report-1'))).toBe(false));
      // Another task's history is untouched.
      expect(history.list('keep').map((r) => r.id)).toEqual(['keep-1']);
      expect(fs.existsSync(runLog('keep', 'keep-1'))).toBe(true);
      await registry.close();
    } finally {
      fs.rmSync(d, { recursive: true, force: true });
    }
  });

  it('a shutdown while a reload replaces a runner stops every runner once and does not fail', async () => {
    // b depends on a: b stops in the first wave, a in the second, after the reload dropped a's old runner.
    const { registry, made, ready } = setup([serviceSpec({ name: 'a' }), serviceSpec({ name: 'b', dependsOn: { a: 'started' } })]);
    await ready;
    const [a, b] = made as [FakeRunner, FakeRunner];
    const held = (r: FakeRunner) => {
      let release!: () => void;
      let p: Promise<void> | undefined;
      r.dispose = () => (p ??= new Promise<void>((res) => (release = res)).then(() => void r.disposed++));
      return () => release();
    };
    const releaseA = held(a);
    const releaseB = held(b);
    a.acceptUpdate = false;
    const replacing = registry.update(serviceSpec({ name: 'a', command: 'sleep 2' }), ['command']);
    await vi.waitFor(() => expect(a.calls).toContain('update command'));
    const closing = registry.close();
    releaseA();
    expect(await code(() => replacing)).toBe('SHUTTING_DOWN');
    releaseB();
    await closing;
    expect([a.disposed, b.disposed]).toEqual([1, 1]);
    expect(made).toHaveLength(2);
  });

  it('once closing, add is SHUTTING_DOWN: a reload racing shutdown starts nothing', async () => {
    const { registry, made, ready } = setup([serviceSpec({ name: 'a' })]);
    await ready;
    const closing = registry.close();
    expect(await code(() => registry.add(serviceSpec({ name: 'b' })))).toBe('SHUTTING_DOWN');
    await closing;
    expect(await code(() => registry.add(serviceSpec({ name: 'c' })))).toBe('SHUTTING_DOWN');
    expect(made.map((r) => r.name)).toEqual(['a']);
    expect(registry.names()).toEqual([]);
  });
});

function handlers(registry: TaskRegistry, extra: Partial<HandlerDeps> = {}) {
  const out = new PassThrough();
  out.resume();
  const log = new DaemonLog(out);
  const d: HandlerDeps = {
    home: '/nonexistent', paths: homePaths('/nonexistent'), startedAt: 0, registry, config: new ConfigState('/nonexistent/tasks'), log,
    reload: async () => ({ added: [], removed: [], changed: [], unchanged: 0, errors: [] }),
    shutdown: () => undefined, lastReloadAt: () => undefined, onConfig: () => () => undefined,
    scale: async () => undefined, notifyTest: async () => 200,
    ...extra,
  };
  return { h: makeHandlers(d), log };
}

const conn = (): Connection & { pushed: PushMessage[] } => {
  const pushed: PushMessage[] = [];
  const closers: Array<() => void> = [];
  return { id: 1, closed: false, pushed, push: (m) => pushed.push(m), onClose: (f) => closers.push(f), identity: { operator: 'tester', role: 'admin' } };
};

describe('handlers with fake runners', () => {
  it('a target the server cut to the caller\'s scope (only) acts on those tasks alone', async () => {
    const { registry, made, ready } = setup(specs());
    await ready;
    const { h } = handlers(registry);
    const c = conn();
    expect((await h.stop({ target: '@app', only: ['web'] }, c)).tasks.map((t) => t.name)).toEqual(['web']);
    expect((await h.start({ target: '*', only: ['web', 'worker'] }, c)).tasks.map((t) => t.name)).toEqual(['web', 'worker']);
    expect((await h.status({ only: ['worker'] }, c)).tasks.map((t) => t.name)).toEqual(['worker']);
    expect(made.map((r) => [r.name, r.calls])).toEqual([['web', ['start', 'stop', 'start']], ['worker', ['start', 'start']], ['report', ['start']], ['off', []]]);
  });

  it('start/stop/restart take a name, @group and * (--all)', async () => {
    const { registry, made, ready } = setup(specs());
    await ready;
    const { h } = handlers(registry);
    const c = conn();
    expect((await h.stop({ target: '@app' }, c)).tasks.map((t) => t.name)).toEqual(['off', 'web', 'worker']);
    expect((await h.start({ target: 'report', wait: true }, c)).tasks.map((t) => t.name)).toEqual(['report']);
    expect((await h.restart({ target: '*' }, c)).tasks.map((t) => t.name)).toEqual(['off', 'report', 'web', 'worker']);
    expect(made[0]!.calls).toEqual(['start', 'stop', 'restart']);
    expect(await code(() => h.start({ target: '@nogroup' }, c))).toBe('NOT_FOUND');
  });

  it('a group goes on past a task that fails, then answers the failure with its code; one task answers its error', async () => {
    const { registry, made, ready } = setup(specs());
    await ready;
    made[1]!.stop = async () => {
      throw new JobctlError('SUPERSEDED', 'stop of "worker" was overridden');
    };
    const { h, log } = handlers(registry);
    const c = conn();
    // The others still stop, but a caller is told that the group did not all stop (exit non-zero).
    const err = await Promise.resolve().then(() => h.stop({ target: '@app' }, c)).then(() => undefined, (e: JobctlError) => e);
    expect(err).toMatchObject({ code: 'SUPERSEDED', message: expect.stringMatching(/^@app: worker: stop of "worker" was overridden/) });
    expect((err!.data as { tasks: unknown[] }).tasks).toHaveLength(3);
    expect(made[0]!.calls).toEqual(['start', 'stop']);
    expect(log.warnings().join('\n')).toMatch(/@app: worker: stop of "worker" was overridden/);
    expect(await code(() => h.stop({ target: 'worker' }, c))).toBe('SUPERSEDED');
  });

  it('a disabled task in a group is passed over by start and restart, not a failure', async () => {
    const { registry, made, ready } = setup(specs());
    await ready;
    made[3]!.start = made[3]!.restart = async () => {
      throw new JobctlError('DISABLED', 'task "off" is disabled');
    };
    const { h } = handlers(registry);
    const c = conn();
    expect((await h.start({ target: '@app' }, c)).tasks).toHaveLength(3);
    expect((await h.restart({ target: '*' }, c)).tasks).toHaveLength(4);
    expect(await code(() => h.start({ target: 'off' }, c))).toBe('DISABLED');
  });

  it('run, kill, logs, history and scale take one task: @group and * are BAD_TARGET (defect 4)', async () => {
    const { registry, ready } = setup(specs());
    await ready;
    const { h } = handlers(registry);
    const c = conn();
    for (const t of ['@app', '@cron', '*']) {
      expect(await code(() => h.history({ task: t }, c))).toBe('BAD_TARGET');
      expect(await code(() => h.logs({ task: t }, c))).toBe('BAD_TARGET');
      expect(await code(() => h.scale({ task: t, count: 2 }, c))).toBe('BAD_TARGET');
      expect(await code(() => h.run({ task: t }, c))).toBe('BAD_TARGET');
      expect(await code(() => h.kill({ task: t }, c))).toBe('BAD_TARGET');
    }
  });

  it('history is for cron tasks, scale for services; both say so with WRONG_KIND', async () => {
    const scaled: string[] = [];
    const { registry, made, ready } = setup(specs());
    await ready;
    const { h } = handlers(registry, { scale: async (t, n) => void scaled.push(`${t}=${n}`) });
    const c = conn();
    expect(await code(() => h.history({ task: 'web' }, c))).toBe('WRONG_KIND');
    expect(await code(() => h.scale({ task: 'report', count: 2 }, c))).toBe('WRONG_KIND');
    expect((await h.history({ task: 'report', limit: 5 }, c)).runs).toEqual([]);
    await h.scale({ task: 'web', count: 3 }, c);
    expect(scaled).toEqual(['web=3']);
    expect(made[2]!.calls).toContain('history 5');
  });

  it('logs asks the runner for its selection and applies lines', async () => {
    const { registry, made, ready } = setup(specs());
    await ready;
    const { h } = handlers(registry);
    const r = await h.logs({ task: 'report', run: 'last', lines: 5 }, conn());
    expect(r).toEqual({ lines: ['a line'], files: ['f'] });
    expect(made[2]!.calls).toContain('logs {"run":"last"}');
  });

  it('kill: unknown signal is BAD_REQUEST, nothing running is NOT_RUNNING', async () => {
    const { registry, ready } = setup(specs());
    await ready;
    const { h } = handlers(registry);
    const c = conn();
    expect(await code(() => h.kill({ task: 'web', signal: 'SIGNOPE' }, c))).toBe('BAD_REQUEST');
    expect(await code(() => h.kill({ task: 'off' }, c))).toBe('NOT_RUNNING');
    expect(h.kill({ task: 'web', signal: 'HUP' }, c)).toEqual({ signalled: 1 });
  });
});
