import { describe, expect, it } from 'vitest';
import type { CronTaskStatus, InstanceInfo, ServiceTaskStatus, StatusResult, TaskStatus } from '../../src/shared/protocol.js';
import type { RunRecord } from '../../src/shared/types.js';
import { TopModel, WINDOW, legendLabel } from '../../src/tui/top/model.js';

/** A service by default; `over` may make it a cron task (the fixture keeps cpu/rss either way). */
const task = (name: string, cpu: number, rss: number, over: Partial<ServiceTaskStatus> | Partial<CronTaskStatus> = {}): TaskStatus => ({
  name, group: 'g', kind: 'service', enabled: true, file: '/f', state: 'running', desired: 'running', restarts: 0, cpu, rss, running: 1, instances: [], ...over,
}) as TaskStatus;
const status = (tasks: TaskStatus[]): StatusResult => ({ daemon: { pid: 1, version: '', home: '', tasksDir: '', startedAt: 0, configErrors: [], warnings: [] }, tasks });

describe('top dashboard model', () => {
  it('keeps a minute of CPU and memory for the busiest tasks, or the selected one', () => {
    const m = new TopModel();
    for (let i = 0; i < 70; i++) m.update(status([task('a', i, 10 * 1024 * 1024), task('b', 1, 0), task('c', 2, 0), task('d', 3, 0), task('e', 0, 0)]));
    const cpu = m.cpuSeries();
    expect(cpu.map((s) => s.title)).toEqual(['a', 'd', 'c', 'b']);
    expect(cpu[0]!.y).toHaveLength(WINDOW);
    expect(cpu[0]!.y.at(-1)).toBe(69);
    expect(m.memSeries()[0]!.y.at(-1)).toBe(10);
    m.selected = 'e';
    expect(m.cpuSeries().map((s) => s.title)).toEqual(['e']);
  });

  it('bars of the last run durations and a table row per task', () => {
    const m = new TopModel();
    m.update(status([
      task('cron1', 0, 0, { kind: 'cron', lastRun: { id: '1', task: 'cron1', scheduledAt: 0, startedAt: 1000, endedAt: 3500, attempt: 1, trigger: 'schedule', state: 'succeeded' } }),
      task('w', 12.5, 2 * 1024 * 1024, { restarts: 3 }),
    ]));
    expect(m.runBars()).toEqual({ titles: ['cron1'], data: [2500] });
    // a stable order (by name), so rows do not jump under the cursor as CPU changes
    const t = m.table(80, 5500);
    const trimmed = t.data.map((row) => row.map((c) => c.trimEnd()));
    expect(trimmed).toEqual([['cron1', 'running', '-', '-', 'ok 2s ago', '0', '0%', '0B'], ['w', 'running', '1/0', '-', '-', '3', '12.5%', '2.0MB']]);
    expect(t.headers.map((h) => h.trim())).toEqual(['TASK', 'STATE', 'PROCS', 'UP/NEXT', 'LAST', 'RST', 'CPU', 'MEM']);
    expect(t.headerLine).toBe(` ${t.headers.join(' ')}`);
  });

  it('every cell is cut or padded to its column (`running he2/2` was seen), at any width', () => {
    const m = new TopModel();
    const inst = { index: 0, state: 'running' as const, since: 0, restarts: 0, health: { state: 'healthy' as const, since: 0, failures: 0 } };
    m.update(status([task('a-rather-long-task-name-for-a-worker', 1, 1, { running: 2, instances: [inst, { ...inst, index: 1 }] })]));
    for (const width of [40, 60, 78, 118, 200]) {
      const t = m.table(width, 0);
      for (const row of [t.headers, ...t.data]) {
        expect(row.map((c) => c.length)).toEqual(t.widths);
        // A contrib table column is its width plus one space: the row fits inside the border.
        if (width >= 78) expect(t.widths.reduce((s, w) => s + w + 1, 0)).toBeLessThanOrEqual(width);
      }
      expect(t.data[0]![1]!.trimEnd()).toMatch(/^running$|^runn\S*…$/);
    }
    // health has its own column, as in the TUI and `status` (issue 30)
    const wide = m.table(118, 0);
    expect(wide.headers.map((h) => h.trim()).slice(0, 3)).toEqual(['TASK', 'STATE', 'HEALTH']);
    expect(wide.data[0]!.slice(1, 3).map((c) => c.trim())).toEqual(['running', 'healthy']);
  });

  it('turns the difference between two snapshots into task events for the event pane', () => {
    const m = new TopModel();
    const inst = (over: Partial<InstanceInfo> = {}): InstanceInfo => ({ index: 0, state: 'running', since: 0, restarts: 0, ...over });
    const run = (over: Partial<RunRecord>): RunRecord => ({ id: 'r1', task: 'rep', scheduledAt: 0, attempt: 1, trigger: 'schedule', state: 'running', ...over });
    expect(m.update(status([task('w', 0, 0, { instances: [inst(), inst({ index: 1 })] }), task('rep', 0, 0, { kind: 'cron', lastRun: run({}) })]))).toEqual([]);
    const events = m.update(status([
      task('w', 0, 0, { instances: [inst({ restarts: 1, lastExit: { code: 3, signal: null, at: 5 } }), inst({ index: 1, state: 'backoff', retryAt: 9, lastExit: { code: null, signal: 'SIGKILL', at: 6 } })] }),
      task('rep', 0, 0, { kind: 'cron', lastRun: run({ state: 'failed', exitCode: 2, startedAt: 1000, endedAt: 1250 }) }),
      task('new', 0, 0),
    ]));
    expect(events).toEqual([
      'new added',
      'rep run failed (exit 2) in 250ms',
      'w#0 exited with code 3; restarted',
      'w#1 killed by SIGKILL; restarting after backoff',
    ]);
    expect(m.update(status([
      task('w', 0, 0, { state: 'fatal', instances: [inst({ state: 'fatal', restarts: 11, message: 'too many restarts', lastExit: { code: 3, signal: null, at: 5 } }), inst({ index: 1, restarts: 1, lastExit: { code: null, signal: 'SIGKILL', at: 6 } })] }),
      task('rep', 0, 0, { kind: 'cron', lastRun: run({ id: 'r2', state: 'succeeded', startedAt: 0, endedAt: 12 }) }),
    ]))).toEqual([
      'rep run succeeded in 12ms',
      'w#0 fatal: too many restarts',
      'w#1 restarted (1 restart)',
      'new removed',
    ]);
    // after a reconnect, nothing is reported for what changed meanwhile
    m.reset();
    expect(m.update(status([task('other', 0, 0)]))).toEqual([]);
  });

  it('with cron tasks only (nothing to chart) still gives the charts one flat series, never none', () => {
    const m = new TopModel();
    m.update(status(Array.from({ length: 1000 }, (_, i) => task(`t${i}`, 0, 0, { kind: 'cron' }))));
    for (const s of [m.cpuSeries(), m.memSeries()]) {
      expect(s).toHaveLength(1);
      expect(s[0]!.y).toEqual(Array(WINDOW).fill(0));
    }
    expect(m.table(120).data).toHaveLength(1000);
  });

  it('the legend is in the chart\'s label (no box over the newest end), and the log pane follows the selected or busiest task', () => {
    const m = new TopModel();
    m.update(status([task('a', 1, 0), task('b', 5, 0)]));
    expect(legendLabel('CPU %', m.cpuSeries())).toBe(' CPU % {green-fg}b{/green-fg} {cyan-fg}a{/cyan-fg} ');
    expect(m.logTask()).toBe('b');
    m.selected = 'a';
    expect(m.logTask()).toBe('a');
    expect(legendLabel('CPU %', new TopModel().cpuSeries())).toBe(' CPU % ');
  });

  it('the log pane leaves a selected task that went (removed, renamed) for the busiest, as the charts do, and follows it again when it is back', () => {
    const m = new TopModel();
    m.update(status([task('a', 1, 0), task('b', 5, 0), task('nightly', 0, 0, { kind: 'cron' })]));
    m.selected = 'nightly';
    expect(m.logTask()).toBe('nightly');
    m.update(status([task('a', 1, 0), task('b', 5, 0), task('nightly-2', 0, 0, { kind: 'cron' })]));
    expect(m.cpuSeries().map((s) => s.title)).toEqual(['b', 'a']);
    expect(m.logTask()).toBe('b');
    m.update(status([task('a', 1, 0), task('b', 5, 0), task('nightly', 0, 0, { kind: 'cron' })]));
    expect(m.logTask()).toBe('nightly');
  });
});
