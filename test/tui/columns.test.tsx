import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import type { InstanceInfo, TaskStatus } from '../../src/shared/protocol.js';
import { columnLayout } from '../../src/tui/columns.js';
import { TaskList } from '../../src/tui/components/TaskList.js';

/** Issue 30: TASK takes what names need, a HEALTH column as in `status`, and 60 columns keep LAST's "ago". */
const NOW = 1_800_000_000_000;
const inst = (health?: 'healthy' | 'unhealthy'): InstanceInfo => ({ index: 0, state: 'running', since: 0, restarts: 0, pid: 10, startedAt: NOW - 60_000, ...(health ? { health: { state: health, since: 0, failures: 0 } } : {}) });
const worker = (name: string, health?: 'healthy' | 'unhealthy'): TaskStatus => ({
  name, group: 'app', kind: 'service', enabled: true, file: '/x.yaml', state: 'running', desired: 'running', restarts: 0, running: 1, cpu: 0.5, rss: 3_000_000, instances: [inst(health)],
});
const report: TaskStatus = {
  name: 'nightly-report', group: 'app', kind: 'cron', enabled: true, file: '/x.yaml', state: 'scheduled', desired: 'running', restarts: 0, schedule: '0 3 * * *', nextRunAt: NOW + 3_600_000,
  lastRun: { id: 'r', task: 'nightly-report', scheduledAt: 0, startedAt: NOW - 7_260_000, endedAt: NOW - 7_200_000, attempt: 1, trigger: 'schedule', state: 'failed' },
};
const tasks = [worker('api', 'healthy'), worker('queue', 'unhealthy'), report];

const mounted: Array<{ unmount: () => void }> = [];
afterEach(() => mounted.splice(0).forEach((m) => m.unmount()));
function lines(width: number, list = tasks): string[] {
  const app = render(<TaskList tasks={list} selected={0} height={6} width={width} now={NOW} />);
  mounted.push(app);
  return (app.lastFrame() ?? '').split('\n');
}

describe('task list columns', () => {
  it('at 120 columns TASK is as wide as the longest name, not 70 columns', () => {
    const { widths } = columnLayout(tasks, 120, NOW);
    expect(widths.name).toBe('nightly-report'.length);
    const header = lines(120)[0]!;
    expect(header.indexOf('STATE') - header.indexOf('TASK')).toBeLessThan(20);
  });

  it('a HEALTH column when a task has a health check, as in status; none without', () => {
    const l = lines(120);
    expect(l[0]).toMatch(/^ {2}TASK\s+STATE\s+HEALTH\s+PROCS\s+UP\/NEXT\s+LAST\s+RST\s+CPU\s+MEM/);
    expect(l.find((x) => x.includes('api'))).toMatch(/api\s+running\s+healthy\s+1\/1/);
    expect(l.find((x) => x.includes('queue'))).toMatch(/queue\s+running\s+unhealthy/);
    expect(l.find((x) => x.includes('nightly'))).toMatch(/nightly-report\s+scheduled\s+-\s+-/);
    expect(lines(120, [worker('plain'), report])[0]).not.toContain('HEALTH');
  });

  it('at 60 columns: every row fits, LAST keeps its "ago", columns that do not fit go', () => {
    const l = lines(60);
    for (const x of l) expect(x.length).toBeLessThanOrEqual(60);
    expect(l.find((x) => x.includes('nightly'))).toMatch(/failed 2h ago/);
    expect(l[0]).toMatch(/TASK\s+STATE\s+.*LAST/);
    expect(l[0]).not.toContain('RST');
    // the header and the rows line up
    expect(l.find((x) => x.includes('nightly'))!.indexOf('failed')).toBe(l[0]!.indexOf('LAST'));
  });
});
