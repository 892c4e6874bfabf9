import { describe, expect, it } from 'vitest';
import { daemonTask, eventually, mount } from './fake-backend.js';

/**
 * The detail pane's instance lines use the one uptime formatter (src/view/task-cells.ts) that
 * the CLI's `status TASK` uses: an instance whose start lies ahead of this clock (a fleet host
 * whose clock runs ahead) is up 0ms there, never a negative uptime.
 */
describe('TUI detail pane: instance uptime', () => {
  it('an instance started "in the future" (a host clock ahead) is up 0ms, as in the CLI', async () => {
    const ahead = daemonTask('w', {
      running: 1,
      instances: [{ index: 0, state: 'running', since: 0, pid: 100, startedAt: Date.now() + 90_000, restarts: 0 }],
    });
    const { frame } = await mount([ahead]);
    await eventually(() => expect(frame()).toMatch(/#0 running\s+pid 100 up 0ms restarts 0/));
    expect(frame()).not.toMatch(/up -/);
  });
});
