import blessed from 'blessed';
import contrib from 'blessed-contrib';
import { errorMessage } from '../../shared/errors.js';
import type { DaemonEvent } from '../../shared/protocol.js';
import type { ConnectionState, TopBackend } from '../backend.js';
import { TopLogPane } from './log-pane.js';
import { TopModel, legendLabel } from './model.js';
import { StatusPoll } from './status-poll.js';

export interface TopOptions {
  /** The daemon, over its local socket or an ssh pipe alike (ClientBackend); top starts and closes it. */
  backend: TopBackend;
  /** @default 1000 */
  refreshMs?: number;
}

/** Options of a line chart: the legend is in the label (tags), the axes in the terminal's own color. */
const LINE = { showLegend: false, tags: true, minY: 0, style: { text: 'normal', baseline: 'normal' } };

/**
 * `jobctl top`: a metrics dashboard like `pm2 monit`. CPU and memory line charts for the
 * selected task (or the busiest ones), a bar chart of recent run durations, the task
 * table (scrolls: arrows, PgUp/PgDn, Home/End), the log of the selected (or busiest) task and
 * an event log: the daemon's own events plus task events (exits, restarts, fatal, run results)
 * seen between refreshes. The title names the host, the far home and the daemon's pid. q or Ctrl-C quits; the
 * terminal is restored on quit and on a crash.
 */
export async function runTop(opts: TopOptions): Promise<number> {
  const screen = blessed.screen({ smartCSR: true, title: 'jobctl top', fullUnicode: true, forceUnicode: true } as blessed.Widgets.IScreenOptions);
  const grid = new contrib.grid({ rows: 12, cols: 12, screen });
  // pm2 monit's panes: charts on top, the selected task's log beside the events, the tasks below.
  const cpu = grid.set(0, 0, 4, 4, contrib.line, { ...LINE, label: ' CPU % ', wholeNumbersOnly: false });
  const mem = grid.set(0, 4, 4, 4, contrib.line, { ...LINE, label: ' Memory MB ' });
  const bars = grid.set(0, 8, 4, 4, contrib.bar, { label: ' last run (ms) ', barWidth: 6, barSpacing: 2, xOffset: 0, maxHeight: 10 });
  const logBox = grid.set(4, 0, 4, 6, contrib.log, { label: ' log ', bufferLength: 200 });
  const events = grid.set(4, 6, 4, 6, contrib.log, { label: ' events ', fg: 'green', selectedFg: 'green' });
  const tableHelp = '↑↓ PgUp PgDn Home End select, Esc: busiest';
  const table = grid.set(8, 0, 4, 12, contrib.table, {
    label: ` tasks (${tableHelp}) `, keys: false, interactive: true, fg: 'white', selectedFg: 'black', selectedBg: 'cyan',
    columnSpacing: 2, columnWidth: [],
  });
  const logPane = new TopLogPane({
    setLabel: (text) => logBox.setLabel(text),
    reset: (lines) => {
      logBox.logLines = lines.slice(-200);
      logBox.setItems(logBox.logLines);
      logBox.scrollTo(logBox.logLines.length);
    },
    log: (line) => logBox.log(line),
  }, opts.backend);
  /** Where the dashboard looks, once the daemon answered: `ssh://web1 · home /srv/jobs · pid 4242`. */
  // Commas, not `·`: blessed draws that as `~` on some terminals (tmux's screen).
  const place = (home: string, pid: number) => `${backend.where ? `${backend.where}, ` : ''}home ${home}, pid ${pid}`;
  const model = new TopModel();
  const { backend } = opts;
  let stopped = false;
  let resolveDone!: (code: number) => void;
  const done = new Promise<number>((r) => (resolveDone = r));

  const quit = () => {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
    logPane.stop();
    backend.close();
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

  const log = (text: string, at = Date.now()) => events.log(`${new Date(at).toISOString().slice(11, 19)} ${text}`);
  let lastEventAt = 0;
  const logEvent = (e: DaemonEvent) => {
    lastEventAt = Math.max(lastEventAt, e.at);
    log(`${e.level === 'info' ? '' : `${e.level}: `}${e.task ? `[${e.task}] ` : ''}${e.message}`, e.at);
  };
  function draw(): void {
    if (backend.connection === 'connected') logPane.show(model.logTask());
    const cpuSeries = model.cpuSeries();
    const memSeries = model.memSeries();
    cpu.setLabel(legendLabel('CPU %', cpuSeries));
    mem.setLabel(legendLabel('Memory MB', memSeries));
    cpu.setData(cpuSeries);
    mem.setData(memSeries);
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

  const poll = new StatusPoll(backend, model, {
    shown(status, taskEvents) {
      for (const e of taskEvents) log(e);
      const title = place(status.daemon.home, status.daemon.pid);
      screen.title = `jobctl top · ${title}`;
      table.setLabel(` ${title}: tasks (↑↓ select, Esc: busiest) `);
      draw();
    },
    failed(message) {
      log(message);
      screen.render();
    },
  });

  // The backend connects and reconnects; each new connection subscribes to the events again.
  backend.on('event', logEvent);
  backend.on('connection', (state: ConnectionState) => {
    if (state === 'disconnected') {
      poll.disconnected();
      logPane.stop();
      log(`daemon not reachable: ${backend.lastError ?? 'the connection dropped'}; reconnecting`);
      screen.render();
      return;
    }
    if (state !== 'connected') return;
    backend.watchEvents(50).then((recent) => {
      // After a reconnect, only those not shown already.
      for (const e of recent) if (e.at > lastEventAt) logEvent(e);
      // Last, under the daemon's recent events (older, in time order): the line a user looks for.
      log('connected to the daemon');
      void poll.refresh();
    }, (e: Error) => log(`cannot read the daemon's events: ${errorMessage(e)}`));
  });

  const timer = setInterval(() => void poll.refresh(), opts.refreshMs ?? 1000);
  backend.start();
  return done;
}
