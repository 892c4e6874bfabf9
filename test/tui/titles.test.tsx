import { describe, expect, it } from 'vitest';
import type { DaemonInfo } from '../../src/shared/protocol.js';
import { daemonTask, mount } from './fake-backend.js';

/** Issue 30: the title names where the TUI looks: the host, the far home and the far daemon's pid. */
describe('TUI titles', () => {
  it('over ssh: the host, the far home and the far pid', async () => {
    const { frame } = await mount([daemonTask('w')], { home: '/srv/far-jobs', pid: 4242 }, (b) => {
      b.where = 'ssh://deploy@web1:2222';
    });
    expect(frame()).toMatch(/^jobctl 1 tasks · 1 running · ssh:\/\/deploy@web1:2222 · home \/srv\/far-jobs · pid 4242/);
  });

  it('a fleet: no one pid in the title; the detail pane names the task\'s host, its address, home and pid', async () => {
    const far: DaemonInfo = { pid: 777, version: '0', home: '/srv/h1-jobs', tasksDir: '/srv/h1-jobs/tasks', startedAt: 0, configErrors: [], warnings: [] };
    const { frame } = await mount([daemonTask('w', { host: 'h1' })], { home: '1/2 hosts', pid: 0 }, (b) => {
      b.hosts = () => [{ host: 'h1', connection: 'connected' }, { host: 'h2', connection: 'connecting' }];
      b.details.set('h1', { address: 'ssh://deploy@web1:2222/srv/h1-jobs', daemon: far });
    });
    expect(frame()).toMatch(/^jobctl 1 tasks · 1 running · fleet · 1\/2 hosts\s*$/m);
    expect(frame()).not.toMatch(/pid 0/);
    expect(frame()).toMatch(/^ {2}host h1 \(ssh:\/\/deploy@web1:2222\/srv\/h1-jobs\) · home \/srv\/h1-jobs · daemon pid 777/m);
  });
});
