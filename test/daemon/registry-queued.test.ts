import { describe, expect, it } from 'vitest';
import { applyDelta } from '../../src/daemon/apply-delta.js';
import { LoopPacer } from '../../src/daemon/loop-pacer.js';
import { TaskRegistry } from '../../src/daemon/registry.js';
import { diff } from '../../src/config/diff.js';
import type { InstanceInfo, TaskStatus } from '../../src/shared/protocol.js';
import type { TaskSpec } from '../../src/shared/types.js';
import { FakeRunner } from '../helpers/fake-runner.js';
import { cronSpec, serviceSpec } from '../helpers/specs.js';

/** A fake runner whose one instance can be put in a state (for `replaced`). */
class InstanceRunner extends FakeRunner {
  instance: InstanceInfo['state'] = 'running';
  override status(): TaskStatus {
    return { ...super.status(), instances: [{ index: 0, state: this.instance, since: 0, restarts: 0 } as InstanceInfo] } as TaskStatus;
  }
}

function setup() {
  const made = new Map<string, InstanceRunner>();
  const registry = new TaskRegistry({
    factory: {
      create: (spec) => {
        const r = new InstanceRunner(spec);
        made.set(spec.name, r);
        return r;
      },
    },
  });
  return { registry, made };
}

describe('TaskRegistry: tasks registered now, started later (the daemon\'s first start)', () => {
  it('addQueued lists the task as waiting (not started); startQueued starts it', async () => {
    const { registry, made } = setup();
    registry.addQueued(serviceSpec({ name: 'web' }), { reason: 'queued: the daemon is starting its tasks' });
    registry.addQueued(serviceSpec({ name: 'off', enabled: false }), { reason: 'queued' });
    expect(registry.status('web')).toMatchObject({ state: 'waiting', desired: 'running', waiting: 'queued: the daemon is starting its tasks' });
    expect(made.get('web')!.calls).toEqual([]);
    await registry.startQueued('web');
    await registry.startQueued('off');
    expect(made.get('web')!.calls).toEqual(['start']);
    expect(registry.status('web').waiting).toBeUndefined();
    // A disabled task is registered and never started.
    expect(made.get('off')!.calls).toEqual([]);
    expect(registry.status('off').waiting).toBeUndefined();
  });

  it('a task stopped while queued is not started by the queue; one started by hand is started once', async () => {
    const { registry, made } = setup();
    registry.addQueued(serviceSpec({ name: 'a' }), { reason: 'queued' });
    registry.addQueued(serviceSpec({ name: 'b' }), { reason: 'queued' });
    await registry.stop('a');
    await registry.start('b');
    await registry.startQueued('a');
    await registry.startQueued('b');
    expect(made.get('a')!.calls).toEqual(['stop']);
    expect(made.get('b')!.calls).toEqual(['start']);
  });

  it('a rolling restart of a queued task is refused as not started', async () => {
    const { registry } = setup();
    registry.addQueued(serviceSpec({ name: 'web', instances: 2 }), { reason: 'queued: the daemon is starting its tasks' });
    expect(() => registry.restartRolling('web', 1000)).toThrow(/has not started: queued/);
  });
});

describe('TaskRegistry.replaced', () => {
  it('resolves once no instance of the task is stopping', async () => {
    const { registry, made } = setup();
    await registry.add(serviceSpec({ name: 'web' }));
    const r = made.get('web')!;
    r.instance = 'stopping';
    let done = false;
    const waiting = registry.replaced('web').then(() => (done = true));
    await new Promise((res) => setImmediate(res));
    expect(done).toBe(false);
    r.instance = 'starting';
    r.emit('state');
    await waiting;
    expect(done).toBe(true);
  });

  it('resolves at once for a task that is not stopping or not there', async () => {
    const { registry } = setup();
    await registry.add(cronSpec({ name: 'c' }));
    await registry.replaced('c');
    await registry.replaced('nothing');
  });
});

describe('applyDelta', () => {
  it('removes, updates and adds every task of a large diff, waiting for replaced processes', async () => {
    const { registry, made } = setup();
    const before: TaskSpec[] = Array.from({ length: 300 }, (_, i) => serviceSpec({ name: `t${i}`, command: ['sleep', '1'] }));
    for (const s of before) await registry.add(s);
    // t0..t99 go, t100..t299 change their command, n0..n49 come.
    const after: TaskSpec[] = [
      ...before.slice(100).map((s) => ({ ...s, command: ['sleep', '2'] })),
      ...Array.from({ length: 50 }, (_, i) => serviceSpec({ name: `n${i}` })),
    ];
    const scale = { forgotten: [] as string[], changed: [] as string[], forget(n: string) { this.forgotten.push(n); }, async specChanged(s: TaskSpec) { this.changed.push(s.name); } };
    await applyDelta({ registry, scale, pacer: new LoopPacer() }, diff(registry.specs(), after));
    expect(registry.names()).toEqual(after.map((s) => s.name).sort());
    expect(made.get('t0')!.calls).toContain('dispose');
    expect(made.get('t150')!.calls).toContain('update command');
    expect(registry.get('t150')!.command).toEqual(['sleep', '2']);
    expect(made.get('n3')!.calls).toEqual(['start']);
    expect(scale.forgotten).toHaveLength(100);
    expect(scale.changed).toHaveLength(200);
  });

  it('one task that fails does not hold the others back; the first failure is thrown after all are done', async () => {
    const { registry } = setup();
    await registry.add(serviceSpec({ name: 'dup' }));
    const delta = { added: [serviceSpec({ name: 'x' }), serviceSpec({ name: 'y' })], removed: [], changed: [], unchanged: [] };
    // "dup" is added again: ALREADY_RUNNING; x and y still come.
    delta.added.splice(1, 0, serviceSpec({ name: 'dup' }));
    const scale = { forget: () => undefined, specChanged: async () => undefined };
    await expect(applyDelta({ registry, scale, pacer: new LoopPacer() }, delta)).rejects.toThrow(/already registered/);
    expect(registry.names()).toEqual(['dup', 'x', 'y']);
  });
});
