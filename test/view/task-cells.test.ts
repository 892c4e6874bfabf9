import { describe, expect, it } from 'vitest';
import { statusTable } from '../../src/cli/render/status.js';
import type { CronTaskStatus, ServiceTaskStatus, TaskStatus } from '../../src/shared/protocol.js';
import { CRON_TASK_STATES, SERVICE_TASK_STATES } from '../../src/shared/protocol.js';
import { RUN_STATES } from '../../src/shared/types.js';
import { cells } from '../../src/tui/columns.js';
import { inkColor } from '../../src/tui/format.js';
import { TopModel } from '../../src/tui/top/model.js';
import { STATE_HUE, hueOf } from '../../src/view/state-hue.js';
import { lastRunCell, lastRunText, procsText, upOrNextText, uptimeText } from '../../src/view/task-cells.js';
import { healthClass, stateClass } from '../../web/src/format.js';

const NOW = 1_000_000;
const service: ServiceTaskStatus = {
  name: 'web', group: 'g', kind: 'service', enabled: true, file: '/f', state: 'running', desired: 'running', restarts: 1,
  running: 1, cpu: 2.5, rss: 3 * 1024 * 1024,
  instances: [
    { index: 0, state: 'running', since: 0, startedAt: NOW - 65_000, restarts: 1 },
    { index: 1, state: 'backoff', since: 0, restarts: 0 },
  ],
};
const cron: CronTaskStatus = {
  name: 'report', group: 'g', kind: 'cron', enabled: true, file: '/f', state: 'scheduled', desired: 'running', restarts: 0,
  nextRunAt: NOW + 120_000,
  activeRuns: [1, 2].map((n) => ({ id: `r${n}`, task: 'report', scheduledAt: 0, attempt: 1, trigger: 'manual' as const, state: 'running' as const })),
  lastRun: { id: 'x', task: 'report', scheduledAt: 0, startedAt: NOW - 9000, endedAt: NOW - 4000, attempt: 1, trigger: 'schedule', state: 'failed', exitCode: 2 },
};

describe('one row model for the CLI table, the TUI and top', () => {
  it('formats uptime, next run, processes and the last run once', () => {
    expect(uptimeText(NOW - 65_000, NOW)).toBe('1m5s');
    expect(upOrNextText(service, NOW)).toBe('1m5s');
    expect(upOrNextText(cron, NOW)).toBe('in 2m');
    expect(procsText(service)).toBe('1/2');
    expect(procsText(cron)).toBe('2 runs');
    expect(lastRunCell(cron.lastRun, NOW)).toBe('failed 4s ago');
    expect(lastRunText(cron.lastRun, NOW)).toBe('failed (exit 2) 4s ago');
  });

  it('the CLI table, the TUI row and the top table show the same cells', () => {
    const tasks: TaskStatus[] = [cron, service];
    const cli = statusTable(tasks, false, NOW);
    const top = new TopModel();
    top.update({ daemon: { pid: 1, version: '', home: '', tasksDir: '', startedAt: 0, configErrors: [], warnings: [] }, tasks });
    const topRows = top.table(200, NOW).data.map((r) => r.map((c) => c.trim()));
    for (const t of tasks) {
      const c = cells(t, NOW);
      for (const cell of [c.state, c.procs, c.time, c.cpu, c.mem]) expect(cli).toContain(cell);
      expect(topRows.find((r) => r[0] === t.name)).toEqual(expect.arrayContaining([c.state, c.procs, c.time, c.last, c.cpu, c.mem]));
    }
  });

  it('every task, run and health state has one colour, the same for the CLI and Ink', () => {
    for (const s of [...SERVICE_TASK_STATES, ...CRON_TASK_STATES, ...RUN_STATES]) expect(STATE_HUE[s]).toBeDefined();
    expect(hueOf('2/3 healthy')).toBe('yellow');
    expect(hueOf('unhealthy')).toBe('red');
    expect(inkColor('disabled')).toBe('gray');
    expect(inkColor('fatal')).toBe('red');
    expect(inkColor('-')).toBeUndefined();
  });

  it('the web view colours task, run and health states from the same table as the CLI and the TUI', () => {
    const webHue = (cls: string) => cls.replace(/^c-/, '');
    for (const s of [...SERVICE_TASK_STATES, ...CRON_TASK_STATES, ...RUN_STATES]) expect(webHue(stateClass(s)), s).toBe(inkColor(s));
    for (const h of ['healthy', 'starting', 'unhealthy', '2/3 healthy']) expect(webHue(healthClass(h)), h).toBe(inkColor(h));
  });
});
