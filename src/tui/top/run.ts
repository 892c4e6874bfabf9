import blessed from 'blessed';
import contrib from 'blessed-contrib';
import type { JobctlClient } from '../../api/client.js';
import { errorMessage } from '../../shared/errors.js';
import type { PushMessage } from '../../shared/protocol.js';
import { TopModel } from './model.js';

export interface TopOptions {
  /** How to reach the daemon: its local socket or an ssh pipe. */
  dial: () => Promise<JobctlClient>;
  /** @default 1000 */
  refreshMs?: number;
}

/**
 * `jobctl top`: a metrics dashboard like `pm2 monit`. CPU and memory line charts for the
 * selected task (or the busiest ones), a bar chart of recent run durations, the task
 * table and the daemon's event log, refreshed every second. q, Esc or Ctrl-C quits; the
 * terminal is restored on quit and on a crash.
 */
export async function runTop(opts: TopOptions): Promise<number> {
  const screen = blessed.screen({ smartCSR: true, title: 'jobctl top', fullUnicode: true, forceUnicode: true } as blessed.Widgets.IScreenOptions);
  const grid = new contrib.grid({ rows: 12, cols: 12, screen });
  const cpu = grid.set(0, 0, 4, 6, contrib.line, { label: ' CPU % ', showLegend: true, legend: { width: 14 }, minY: 0, wholeNumbersOnly: false });
  const mem = grid.set(0, 6, 4, 6, contrib.line, { label: ' Memory MB ', showLegend: true, legend: { width: 14 }, minY: 0 });
  const bars = grid.set(4, 0, 4, 6, contrib.bar, { label: ' last run duration (ms) ', barWidth: 6, barSpacing: 2, xOffset: 0, maxHeight: 10 });
  const events = grid.set(4, 6, 4, 6, contrib.log, { label: ' events ', fg: 'green', selectedFg: 'green' });
  const table = grid.set(8, 0, 4, 12, contrib.table, {
    label: ' tasks (↑↓ select, Esc: busiest) ', keys: true, interactive: true, fg: 'white', selectedFg: 'black', selectedBg: 'cyan',
    columnSpacing: 2, columnWidth: [20, 10, 9, 7, 8, 8],
  });
  const model = new TopModel();
  let client: JobctlClient | undefined;
  let stopped = false;
  let resolveDone!: (code: number) => void;
  const done = new Promise<number>((r) => (resolveDone = r));

  const quit = () => {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
    client?.close();
    screen.destroy();
    resolveDone(0);
  };
  screen.key(['q', 'C-c'], quit);
  screen.key(['escape'], () => {
    picked = false;
    model.selected = undefined;
    draw();
  });
  table.focus();
  // The charts follow a task only once the user picks one (the table selects row 0 by itself).
  let picked = false;
  table.rows.key(['up', 'down', 'k', 'j'], () => {
    picked = true;
  });
  table.rows.on('select item', (_: unknown, index: number) => {
    if (!picked) return;
    model.selected = model.tasks[index]?.name;
    draw();
  });
  process.once('uncaughtException', (e) => {
    screen.destroy();
    process.stderr.write(`jobctl top crashed: ${errorMessage(e)}\n`);
    process.exit(1);
  });

  const log = (text: string) => events.log(`${new Date().toISOString().slice(11, 19)} ${text}`);
  function draw(): void {
    cpu.setData(model.cpuSeries());
    mem.setData(model.memSeries());
    bars.setData(model.runBars());
    const sel = table.rows.selected;
    table.setData({ headers: ['TASK', 'STATE', 'PROCS', 'CPU', 'MEM', 'RESTARTS'], data: model.tableRows() });
    if (typeof sel === 'number') table.rows.select(Math.min(sel, Math.max(0, model.tasks.length - 1)));
    screen.render();
  }

  // One refresh at a time: over ssh a connect can take longer than the refresh interval,
  // and a second dial would open a second connection.
  let busy = false;
  async function refresh(): Promise<void> {
    if (busy) return;
    busy = true;
    try {
      if (!client || client.closed) {
        client = await opts.dial();
        log('connected to the daemon');
        client.on('push', (m: PushMessage) => {
          if (m.event === 'event') log(`${m.data.level === 'info' ? '' : `${m.data.level}: `}${m.data.task ? `[${m.data.task}] ` : ''}${m.data.message}`);
        });
        const c = client;
        client.on('close', () => log(`${c.closeReason}; reconnecting`));
        await client.call('subscribe', { events: ['event'] });
      }
      model.update(await client.call('status', {}, 5000));
      draw();
    } catch (e) {
      client?.close();
      client = undefined;
      log(`daemon not reachable: ${errorMessage(e)}`);
      screen.render();
    } finally {
      busy = false;
    }
  }
  const timer = setInterval(() => void refresh(), opts.refreshMs ?? 1000);
  void refresh();
  return done;
}
