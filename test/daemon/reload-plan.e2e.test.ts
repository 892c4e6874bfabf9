import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobctlClient } from '../../src/api/client.js';
import type { TaskStatus } from '../../src/shared/protocol.js';
import { cleanupDaemons, makeHome, startTestDaemon } from '../helpers/daemon.js';
import { waitFor } from '../helpers/wait.js';

const clients: JobctlClient[] = [];
afterEach(async () => {
  clients.splice(0).forEach((c) => c.close());
  expect(await cleanupDaemons()).toEqual([]);
});

const V1 = `tasks:
  web:
    command: sleep 1000
  calm:
    command: sleep 1000
  pool:
    command: sleep 1000
    instances: 1
  flip:
    schedule: "0 0 1 1 *"
    command: sleep 1000
  roll:
    command: sleep 1000
    instances: 2
    update: rolling
    start_seconds: 100ms
`;

const V2 = `tasks:
  web:
    command: sleep 1001
  calm:
    command: sleep 1000
    description: quiet
  pool:
    command: sleep 1000
    instances: 2
  flip:
    command: sleep 1000
  roll:
    command: sleep 1001
    instances: 1
    update: rolling
    start_seconds: 100ms
`;

describe('reload applies the plan `jobctl plan` printed', () => {
  it('the same plan, and each task got what its plan said: restart, in place, rescale, replace', async () => {
    const home = makeHome({ 'tasks/a.yaml': V1 });
    // Applied only on `reload`, so the plan is taken before anything changes.
    const d = await startTestDaemon(home, { JOBCTL_NO_WATCH: '1' });
    const c = await d.client();
    clients.push(c);
    const status = async (name: string): Promise<TaskStatus> => (await c.call('status', { target: name })).tasks[0]!;
    const pids = async (name: string) => (await status(name)).instances?.filter((i) => i.state === 'running').map((i) => i.pid) ?? [];
    await waitFor(async () => (await pids('roll')).length === 2, 20_000, 'roll running');
    for (const n of ['web', 'calm', 'pool']) await waitFor(async () => (await pids(n)).length === 1, 20_000, `${n} running`);
    const before = { web: (await pids('web'))[0], calm: (await pids('calm'))[0], pool: (await pids('pool'))[0] };

    fs.writeFileSync(path.join(home, 'tasks/a.yaml'), V2);
    const plan = await c.call('plan', {});
    expect(plan.changed.map((x) => [x.name, x.effect])).toEqual([
      ['calm', 'in place'], ['flip', 'replace'], ['pool', 'rescale'], ['roll', 'rolling restart'], ['web', 'restart'],
    ]);
    const applied = await c.call('reload', {});
    expect(applied).toEqual(plan);

    // restart: a new process; in place: the same one; rescale: the count; replace: a task of the new kind.
    await waitFor(async () => {
      const p = await pids('web');
      return p.length === 1 && p[0] !== before.web;
    }, 20_000, 'web restarted');
    expect(await pids('calm')).toEqual([before.calm]);
    expect((await status('calm')).description).toBe('quiet');
    await waitFor(async () => (await pids('pool')).length === 2, 20_000, 'pool at 2 instances');
    expect((await pids('pool'))[0]).toBe(before.pool);
    await waitFor(async () => (await pids('flip')).length === 1, 20_000, 'flip running as a service task');
    expect((await status('flip')).kind).toBe('service');
    // roll: 2 -> 1 with a new command: the runner rolls the 2 it has (as the plan said), then the count drops.
    await waitFor(() => /\[roll\] rolling restart: replacing instance 0/.test(d.output()), 20_000, 'roll rolled');
    await waitFor(async () => (await pids('roll')).length === 1, 20_000, 'roll at 1 instance');
    // Nothing is left to apply.
    const again = await c.call('plan', {});
    expect({ added: again.added, removed: again.removed, changed: again.changed }).toEqual({ added: [], removed: [], changed: [] });
  }, 60_000);
});
