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
 * table (scrolls: arrows, PgUp/PgDn, Home/End) and an event log: the daemon's own events
 * plus task events (exits, restarts, fatal, run results) seen between refreshes. q, Esc or Ctrl-C quits; the
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
    label: ' tasks (↑↓ PgUp PgDn Home End select, Esc: busiest) ', keys: false, interactive: true, fg: 'white', selectedFg: 'black', selectedBg: 'cyan',
    columnSpacing: 2, columnWidth: [],
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
    model.selected = undefined;
    draw();
  });
  table.focus();
  // The table's cursor: the task under it is kept across refreshes (rows come and go).
  // Keys are read by the screen: a contrib table's inner list does not get them reliably.
  // The charts follow a task only once the user moves the cursor.
  let cursor: string | undefined;
  const move = (to: (at: number, page: number) => number) => {
    if (model.tasks.length === 0) return;
    const at = Math.max(0, model.tasks.findIndex((t) => t.name === cursor));
    const page = Math.max(1, table.rows.height as number);
    const next = Math.min(model.tasks.length - 1, Math.max(0, to(at, page)));
    cursor = model.tasks[next]!.name;
    model.selected = cursor;
    draw();
  };
  screen.key(['down', 'j'], () => move((at) => at + 1));
  screen.key(['up', 'k'], () => move((at) => at - 1));
  screen.key(['pagedown', 'C-f'], () => move((at, page) => at + page));
  screen.key(['pageup', 'C-b'], () => move((at, page) => at - page));
  screen.key(['home', 'g'], () => move(() => 0));
  screen.key(['end', 'S-g'], () => move(() => Number.MAX_SAFE_INTEGER));
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
    // Widths follow the terminal's (resizes too): inside the border, every cell fits its column.
    const rows = model.table(Math.max(20, (screen.width as number) - 2));
    (table as unknown as { options: { columnWidth: number[] } }).options.columnWidth = rows.widths;
    table.setData({ headers: rows.headers, data: rows.data });
    table.setContent(rows.headerLine);
    // select() scrolls the list so that the cursor's row is visible.
    table.rows.select(Math.max(0, model.tasks.findIndex((t) => t.name === cursor)));
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
        model.reset();
      }
      for (const e of model.update(await client.call('status', {}, 5000))) log(e);
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
