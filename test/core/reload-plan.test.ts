import { describe, expect, it } from 'vitest';
import { planChange } from '../../src/core/reload-plan.js';
import { cronSpec, serviceSpec } from '../helpers/specs.js';

describe('reload plan: what an edit does, in the words `jobctl plan` prints', () => {
  it('update: rolling rolls whatever the file\'s instances (the runner rolls the instances it has, manual or autoscaled)', () => {
    const one = serviceSpec({ name: 'pool', instances: 1, update: 'rolling' });
    expect(planChange(one, { ...one, command: 'sleep 2' }, ['command']).effect).toBe('rolling restart');
    const three = { ...one, instances: 3 };
    // 3 -> 1 with a new command: the runner rolls its 3 instances before the count drops.
    expect(planChange(three, { ...one, command: 'sleep 2' }, ['command', 'instances']).effect).toBe('rolling restart');
    expect(planChange(three, { ...three, update: undefined, command: 'x' }, ['command', 'update']).effect).toBe('restart');
  });

  it('an instances or scale edit of a service task rescales: processes are started or stopped, not kept', () => {
    const pool = serviceSpec({ name: 'pool', instances: 1 });
    expect(planChange(pool, { ...pool, instances: 2 }, ['instances'])).toEqual({ steps: ['update', 'rescale'], effect: 'rescale' });
    expect(planChange(pool, { ...pool, description: 'quiet' }, ['description']).effect).toBe('in place');
  });

  it('a task disabled before and after runs nothing: an edit of its command or count is in place', () => {
    const off = serviceSpec({ name: 'off', enabled: false, instances: 1 });
    expect(planChange(off, { ...off, command: 'sleep 2' }, ['command']).effect).toBe('in place');
    expect(planChange(off, { ...off, instances: 3 }, ['instances']).effect).toBe('in place');
    expect(planChange(off, { ...off, enabled: true, command: 'x' }, ['command', 'enabled']).effect).toBe('start');
  });

  it('a cron task\'s process keys apply at its next run; a kind change recreates', () => {
    const c = cronSpec({ name: 'c' });
    expect(planChange(c, { ...c, command: 'true' }, ['command']).effect).toBe('in place');
    const s = serviceSpec({ name: 'c' });
    expect(planChange(c, s, ['kind', 'schedule']).steps).toEqual(['recreate', 'rescale']);
  });
});
