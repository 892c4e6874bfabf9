import { describe, expect, it } from 'vitest';
import { holdReason, initialLife, lifeTransition, taskState, type LifeEffect, type LifeEvent, type TaskLife } from '../../src/core/task-lifecycle.js';

/** Feed events from a life; returns the last life and every effect, compactly. */
function drive(events: LifeEvent[], from: TaskLife = initialLife(true)): { life: TaskLife; out: string[] } {
  let life = from;
  const out: string[] = [];
  for (const e of events) {
    const t = lifeTransition(life, e);
    life = t.next;
    out.push(...t.effects.map(show));
  }
  return { life, out };
}

function show(e: LifeEffect): string {
  return e.type === 'log' ? `log ${e.message}` : e.type;
}

const deps = (reason?: string): LifeEvent => ({ type: 'dependencies', reason });
const cmd = (command: 'start' | 'stop' | 'restart' | 'run', runs = false): LifeEvent => ({ type: 'command', command, runs });

describe('task lifecycle: starting after dependencies', () => {
  it('an enabled task added asks for its dependencies, then starts', () => {
    const { life, out } = drive([{ type: 'add' }, deps()]);
    expect(out).toEqual(['check-dependencies', 'start']);
    expect(life).toMatchObject({ enabled: true, desired: 'running', disposing: false });
    expect(holdReason(life)).toBeUndefined();
  });

  it('a disabled task added stays stopped and refuses start, restart and a service run-now', () => {
    const { life, out } = drive([{ type: 'add' }, cmd('start'), cmd('restart'), cmd('run')], initialLife(false));
    expect(out).toEqual(['refuse-disabled', 'refuse-disabled', 'refuse-disabled']);
    expect(life.desired).toBe('stopped');
    expect(taskState(life, 'stopped')).toBe('disabled');
  });

  it('a cron run of a disabled task goes to its runner: runs do not need the task started', () => {
    expect(drive([cmd('run', true)], initialLife(false)).out).toEqual(['run']);
  });

  it('waits with the reason, logs a new reason once (no polling), and starts when ready', () => {
    const { life, out } = drive([{ type: 'add' }, deps('waiting for db: stopped (needs started)'), deps('waiting for db: stopped (needs started)')]);
    expect(out).toEqual(['check-dependencies', 'log waiting for db: stopped (needs started)', 'changed']);
    expect(taskState(life, 'stopped')).toBe('waiting');
    expect(holdReason(life)).toBe('waiting for db: stopped (needs started)');
    const ready = drive([deps('waiting for db: starting (needs healthy)'), deps()], life);
    expect(ready.out).toEqual(['log waiting for db: starting (needs healthy)', 'changed', 'log dependencies ready: starting', 'start']);
    expect(holdReason(ready.life)).toBeUndefined();
  });

  it('a dependency answer for a task no longer wanted running does nothing', () => {
    const { life } = drive([{ type: 'add' }, deps('waiting for db: stopped'), cmd('stop')]);
    expect(drive([deps()], life).out).toEqual([]);
    expect(life.desired).toBe('stopped');
  });
});

describe('task lifecycle: queued at daemon start', () => {
  it('is held as queued until dequeued, then starts after its dependencies', () => {
    const { life } = drive([{ type: 'queue', reason: 'queued: the daemon is starting its tasks' }]);
    expect(taskState(life, 'stopped')).toBe('waiting');
    expect(life.desired).toBe('running');
    const { out } = drive([{ type: 'dequeue' }, deps()], life);
    expect(out).toEqual(['check-dependencies', 'start']);
  });

  it('a disabled task is not queued; a stopped one is not started by the queue', () => {
    expect(drive([{ type: 'queue', reason: 'q' }, { type: 'dequeue' }], initialLife(false)).out).toEqual([]);
    const stopped = drive([{ type: 'queue', reason: 'q' }, cmd('stop'), { type: 'dequeue' }]);
    expect(stopped.out).toEqual(['stop']);
    expect(stopped.life.desired).toBe('stopped');
  });

  it('restart of a queued task is a start (after its dependencies); a started task restarts', () => {
    expect(drive([{ type: 'queue', reason: 'q' }, cmd('restart')]).out).toEqual(['check-dependencies']);
    const started = drive([{ type: 'add' }, deps()]).life;
    expect(drive([cmd('restart')], started).out).toEqual(['restart']);
  });

  it('run-now of a service starts it at once, without waiting; a cron run leaves the hold', () => {
    const waiting = drive([{ type: 'add' }, deps('waiting for db: stopped')]).life;
    const service = drive([cmd('run')], waiting);
    expect(service.out).toEqual(['start', 'changed']);
    expect(holdReason(service.life)).toBeUndefined();
    const cron = drive([cmd('run', true)], waiting);
    expect(cron.out).toEqual(['run']);
    expect(holdReason(cron.life)).toBe('waiting for db: stopped');
  });
});

describe('task lifecycle: edits and removal', () => {
  it('enabled in its file: started after its dependencies; disabled: no longer held, wanted stopped', () => {
    const off = initialLife(false);
    const on = drive([{ type: 'updated', enabled: true, replaced: false }], off);
    expect(on.out).toEqual(['check-dependencies']);
    const held = drive([deps('waiting for db: stopped')], on.life).life;
    const disabled = drive([{ type: 'updated', enabled: false, replaced: false }], held);
    expect(disabled.out).toEqual([]);
    expect(disabled.life).toMatchObject({ enabled: false, desired: 'stopped' });
    expect(taskState(disabled.life, 'stopped')).toBe('disabled');
  });

  it('a fresh runner takes the task as the user left it: running again, stopped, or still waiting', () => {
    const running = drive([{ type: 'add' }, deps()]).life;
    expect(drive([{ type: 'updated', enabled: true, replaced: true }], running).out).toEqual(['check-dependencies']);
    const stopped = drive([cmd('stop')], running).life;
    expect(drive([{ type: 'updated', enabled: true, replaced: true }], stopped).out).toEqual([]);
    const waiting = drive([deps('waiting for db: stopped')], drive([cmd('start')], stopped).life).life;
    expect(drive([{ type: 'updated', enabled: true, replaced: true }], waiting).out).toEqual([]);
    expect(holdReason(waiting)).toBe('waiting for db: stopped');
    // An edit in place changes nothing of its life.
    expect(drive([{ type: 'updated', enabled: true, replaced: false }], running).out).toEqual([]);
  });

  it('once disposing, nothing starts it: start and restart are refused, stop waits for the removal', () => {
    const { life } = drive([{ type: 'add' }, deps('waiting'), { type: 'dispose' }]);
    expect(life).toMatchObject({ disposing: true, desired: 'stopped' });
    expect(holdReason(life)).toBeUndefined();
    expect(drive([cmd('start'), cmd('restart'), cmd('run'), cmd('run', true), cmd('stop'), deps(), { type: 'add' }], life).out)
      .toEqual(['refuse-removing', 'refuse-removing', 'refuse-removing', 'run', 'stop']);
  });

  it('the task state: held -> waiting, disabled -> disabled, else the runner\'s activity', () => {
    expect(taskState({ enabled: true }, 'scheduled')).toBe('scheduled');
    expect(taskState({ enabled: false }, 'running')).toBe('disabled');
    expect(taskState({ enabled: true, hold: { why: 'dependencies', reason: 'r' } }, 'running')).toBe('waiting');
  });

  it('keeps the last command', () => {
    expect(drive([cmd('start'), cmd('stop')]).life.lastCommand).toBe('stop');
  });
});
