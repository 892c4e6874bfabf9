import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import type { TaskStatus } from '../../src/shared/protocol.js';
import { columnLayout } from '../../src/tui/columns.js';
import { TaskList } from '../../src/tui/components/TaskList.js';

const NOW = 1_800_000_000_000;
function cron(name: string, state: 'timed-out' | 'succeeded' | 'failed'): TaskStatus {
  return {
    name, group: 'reports', kind: 'cron', enabled: true, file: '/x.yaml', state: 'scheduled', desired: 'running', restarts: 12,
    schedule: '* * * * *', nextRunAt: NOW + 3_723_000,
    lastRun: { id: 'r', task: name, scheduledAt: 0, startedAt: NOW - 7_260_000, endedAt: NOW - 7_200_000, attempt: 1, trigger: 'schedule', state },
  };
}
const LONG = 'nightly-invoice-reconciliation-for-all-regions-and-tenants'; // 58 characters
const tasks = [cron(LONG, 'timed-out'), cron('short', 'succeeded')];

const mounted: Array<{ unmount: () => void }> = [];
afterEach(() => mounted.splice(0).forEach((m) => m.unmount()));
function frame(width: number, list = tasks): string[] {
  const app = render(<TaskList tasks={list} selected={0} height={6} width={width} now={NOW} />);
  mounted.push(app);
  return (app.lastFrame() ?? '').split('\n');
}

describe('TaskList column widths', () => {
  it('at 200 columns: the full name, and LAST uncut ("timed-out 2h ago")', () => {
    const lines = frame(200);
    const row = lines.find((l) => l.includes('nightly'))!;
    expect(row).toContain(LONG);
    expect(row).toMatch(/timed-out 2h ago\s+12\s+-\s+-/);
    // LAST is the time since the run ended, and says so (issue 29: `ok 4s` read as a duration).
    expect(lines.find((l) => l.includes('short'))).toMatch(/\bok 2h ago\s+12/);
    expect(lines[0]).toMatch(/^ {2}TASK\s+STATE\s+PROCS\s+UP\/NEXT\s+LAST\s+RST\s+CPU\s+MEM/);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(200);
  });

  it('at 80 columns: TASK gives up space first, LAST stays whole, every row fits', () => {
    const lines = frame(80);
    const row = lines.find((l) => l.includes('nightly'))!;
    expect(row).toMatch(/nightly-invoice\S*…/);
    expect(row).toMatch(/timed-out 2h ago/);
    expect(row).toMatch(/in 1h2m/);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);
    // header and rows line up: LAST starts in the same column everywhere
    const at = lines[0]!.indexOf('LAST');
    expect(row.indexOf('timed-out')).toBe(at);
  });

  it('widths fit the row and never go below the minimums; spare room stays at the end', () => {
    for (const width of [40, 80, 120, 200]) {
      const { keys, widths: w } = columnLayout(tasks, width, NOW);
      const used = 2 + keys.reduce((a, k) => a + w[k], 0) + keys.length - 1;
      if (width >= 60) expect(used).toBeLessThanOrEqual(width);
      expect(w.name).toBeGreaterThanOrEqual(8);
      expect(w.last).toBeGreaterThanOrEqual(8);
    }
    // a short list on a wide screen: TASK is as wide as its names (or its minimum), not the rest of the row
    const { widths: w } = columnLayout([cron('a', 'succeeded')], 200, NOW);
    expect(w.last).toBe('ok 2h ago'.length);
    expect(w.name).toBe(8);
  });
});
