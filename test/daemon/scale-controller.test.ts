import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Autoscaler } from '../../src/daemon/autoscaler.js';
import { TaskRegistry } from '../../src/daemon/registry.js';
import { ScaleController } from '../../src/daemon/scale-controller.js';
import type { ProbeResult } from '../../src/runtime/probe.js';
import { ServiceRunner } from '../../src/runtime/service-runner.js';
import { memoryMarks } from '../../src/runtime/task-marks.js';
import { homePaths } from '../../src/shared/paths.js';
import type { ServiceTaskSpec, TaskSpec } from '../../src/shared/types.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { FakeRunner } from '../helpers/fake-runner.js';
import { cronSpec, serviceSpec } from '../helpers/specs.js';
import { tempDir } from '../helpers/temp.js';
import { waitFor } from '../helpers/wait.js';

const temps: Array<() => void> = [];
const registries: TaskRegistry[] = [];
afterEach(async () => {
  await Promise.all(registries.splice(0).map((r) => r.close(true)));
});
afterAll(() => temps.forEach((c) => c()));

const SCALE = { min: 1, max: 5, probe: 'fake', perInstance: 10, intervalMs: 1000, cooldownMs: 5000 };

async function setup(specs: TaskSpec[]) {
  const t = tempDir();
  temps.push(t.cleanup);
  const paths = homePaths(t.dir);
  const manual = memoryMarks<number>();
  const logs: string[] = [];
  const scale = new ScaleController(manual, (m, task) => logs.push(`${task}: ${m}`));
  const registry = new TaskRegistry({
    factory: {
      create: (spec) => {
        if (spec.kind === 'cron') return new FakeRunner(spec);
        const r: ServiceRunner = new ServiceRunner({ spec, paths, count: scale.countFor(spec), scaleInfo: () => scale.info(r.spec, r.instanceCount) });
        return r;
      },
    },
  });
  registries.push(registry);
  scale.attach(registry);
  for (const s of specs) await registry.add(s);
  const count = (name: string) => (registry.require(name) as ServiceRunner).instanceCount;
  const pids = (name: string) => registry.status(name).instances!.map((i) => i.pid);
  return { scale, registry, manual, logs, count, pids };
}

describe('ScaleController: one owner of the instance count', () => {
  it('manual > autoscaler target > spec instances', async () => {
    const spec = serviceSpec({ name: 'q', instances: 2, scale: SCALE, command: 'sleep 1000' });
    const { scale, count } = await setup([spec]);
    expect(scale.countFor(spec)).toBe(2);
    await scale.setAutoTarget('q', { target: 4, backlog: 40 });
    expect(count('q')).toBe(4);
    await scale.setManual('q', 1);
    expect(count('q')).toBe(1);
    await scale.setAutoTarget('q', { target: 5, backlog: 50 });
    expect(count('q')).toBe(1);
    await scale.setManual('q', 'auto');
    expect(count('q')).toBe(5);
    // without `scale`, an autoscaler reading does not count
    const plain = serviceSpec({ name: 'p', instances: 2 });
    expect(scale.countFor(plain)).toBe(2);
  });

  it('defect 3: an edit that touches neither process nor count leaves the count and the instances alone', async () => {
    const spec = serviceSpec({ name: 'q', instances: 1, scale: SCALE, command: 'sleep 1000' });
    const { scale, registry, count, pids } = await setup([spec]);
    await scale.setAutoTarget('q', { target: 3 });
    await waitFor(() => pids('q').length === 3 && pids('q').every((p) => p !== undefined), 10_000, 'three instances with a pid');
    const before = pids('q');
    expect(before).toHaveLength(3);
    const edited: ServiceTaskSpec = { ...spec, description: 'edited', notify: { on: ['fatal'], to: ['x'] }, maxRestarts: 3 };
    await registry.update(edited, ['description', 'maxRestarts', 'notify']);
    await scale.specChanged(edited, ['description', 'maxRestarts', 'notify']);
    expect(count('q')).toBe(3);
    expect(pids('q')).toEqual(before);

    await scale.setManual('q', 2);
    const manualPids = pids('q');
    const again: ServiceTaskSpec = { ...edited, description: 'again' };
    await registry.update(again, ['description']);
    await scale.specChanged(again, ['description']);
    expect(count('q')).toBe(2);
    expect(pids('q')).toEqual(manualPids);
    expect(scale.isManual('q')).toBe(true);
  });

  it('an edit of instances or scale ends a manual count', async () => {
    const spec = serviceSpec({ name: 'w', instances: 2, command: 'sleep 1000' });
    const { scale, registry, count } = await setup([spec]);
    await scale.setManual('w', 4);
    expect(scale.info(spec, count('w'))).toMatchObject({ mode: 'manual', target: 4, current: 4 });
    const edited = { ...spec, instances: 3 };
    await registry.update(edited, ['instances']);
    await scale.specChanged(edited, ['instances']);
    expect(scale.isManual('w')).toBe(false);
    expect(count('w')).toBe(3);
    expect(scale.info(edited, 3)).toBeUndefined();
  });

  it('an edit that narrows scale.min/max applies at once: the last autoscaler target is held within the new range', async () => {
    const spec = serviceSpec({ name: 'q', instances: 1, scale: SCALE, command: 'sleep 1000' });
    const { scale, registry, count } = await setup([spec]);
    await scale.setAutoTarget('q', { target: 5, backlog: 50 });
    expect(count('q')).toBe(5);
    const narrowed: ServiceTaskSpec = { ...spec, scale: { ...SCALE, max: 2 } };
    await registry.update(narrowed, ['scale']);
    await scale.specChanged(narrowed, ['scale']);
    expect(count('q')).toBe(2);
    expect(scale.info(narrowed, count('q'))).toMatchObject({ min: 1, max: 2, target: 2, current: 2 });
    const raised: ServiceTaskSpec = { ...spec, scale: { ...SCALE, min: 3 } };
    await registry.update(raised, ['scale']);
    await scale.specChanged(raised, ['scale']);
    expect(count('q')).toBe(5);
  });

  it('scale of a cron task is WRONG_KIND; of an unknown task NOT_FOUND', async () => {
    const { scale } = await setup([cronSpec({ name: 'c' })]);
    await expect(scale.setManual('nope', 2)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(scale.setManual('c', 2)).rejects.toMatchObject({ code: 'WRONG_KIND', message: 'task "c" is a cron task; scale applies to service tasks' });
  });
});

describe('Autoscaler on a fake clock', () => {
  function probeOf(values: Array<number | string>) {
    const calls: string[] = [];
    let i = 0;
    const probe = async (command: string): Promise<ProbeResult> => {
      calls.push(command);
      const v = values[Math.min(i++, values.length - 1)]!;
      return typeof v === 'number' ? { backlog: v } : { error: v };
    };
    return { probe, calls };
  }
  const tick = async (clock: FakeClock, ms: number) => {
    clock.advance(ms);
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  };

  it('scales up at once, down only after the cooldown; a failed probe keeps the count and shows why', async () => {
    const spec = serviceSpec({ name: 'q', instances: 1, scale: SCALE, command: 'sleep 1000' });
    const { scale, count, logs } = await setup([spec]);
    const clock = new FakeClock();
    const { probe } = probeOf([0, 45, 45, 'probe exited with code 1', 12, 12, 12, 12, 12, 12, 12]);
    const auto = new Autoscaler(scale, { log: { info: (m) => logs.push(m), warn: (m) => logs.push(m) }, clock, probe });
    auto.sync([spec]);
    await tick(clock, 0);
    expect(count('q')).toBe(1);
    await tick(clock, 1000);
    expect(count('q')).toBe(5);
    await tick(clock, 1000);
    await tick(clock, 1000);
    expect(count('q')).toBe(5);
    expect(scale.info(spec, 5)).toMatchObject({ error: 'probe exited with code 1' });
    expect(logs.join('\n')).toMatch(/scale probe: probe exited with code 1; keeping 5 instance\(s\)/);
    for (let i = 0; i < 4; i++) await tick(clock, 1000);
    expect(count('q')).toBe(5);
    for (let i = 0; i < 3; i++) await tick(clock, 1000);
    expect(count('q')).toBe(2);
    expect(scale.info(spec, 2)).toMatchObject({ mode: 'auto', backlog: 12, current: 2 });
    expect(scale.info(spec, 2)!.error).toBeUndefined();
    auto.close();
    auto.close();
    expect(clock.pending).toBe(0);
  });

  it('probes nothing while a manual count is in force or the task is stopped', async () => {
    const spec = serviceSpec({ name: 'q', instances: 1, scale: SCALE, command: 'sleep 1000' });
    const { scale, registry } = await setup([spec]);
    const clock = new FakeClock();
    const { probe, calls } = probeOf([30]);
    const auto = new Autoscaler(scale, { log: { info: () => undefined, warn: () => undefined }, clock, probe });
    await scale.setManual('q', 2);
    auto.sync([spec]);
    await tick(clock, 0);
    await tick(clock, 1000);
    expect(calls).toEqual([]);
    await scale.setManual('q', 'auto');
    await registry.stop('q');
    await tick(clock, 1000);
    expect(calls).toEqual([]);
    await registry.start('q');
    await tick(clock, 1000);
    expect(calls).toEqual(['fake']);
    auto.sync([]);
    await tick(clock, 5000);
    expect(calls).toEqual(['fake']);
    auto.close();
  });
});
