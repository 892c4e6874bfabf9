import { afterAll, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/cli.js';
import { cleanupDaemons, makeHome, startTestDaemon } from '../helpers/daemon.js';
import { privateTmux } from '../helpers/tmux.js';
import { hasTool, needs } from '../helpers/tools.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Issue 29: `jobctl top`'s task table let a long state run into the next column
 * (`running he2/2`: blessed-contrib pads a short cell but does not cut a long one), and its
 * LAST cells read like durations. In a real terminal (tmux): every cell ends before the next
 * column starts, and LAST says "ago".
 */

const tmux = privateTmux('top-cells');
afterAll(async () => {
  tmux.close();
  expect(await cleanupDaemons()).toEqual([]);
});

const TASKS = `tasks:
  worker:
    command: exec sleep 1000
    instances: 2
    start_seconds: 100ms
    health: {command: "true", interval: 200ms}
  a-task-with-a-name-longer-than-its-column:
    command: exec sleep 1000
    start_seconds: 100ms
  tick:
    schedule: "* * * * * *"
    command: "true"
`;

/** Start columns of the table's header, by title. */
function columns(header: string): Array<{ title: string; at: number }> {
  return [...header.matchAll(/[A-Z/]+/g)].map((m) => ({ title: m[0], at: m.index }));
}

describe.runIf(hasTool('tmux'))(`jobctl top's task table in a real terminal${needs('tmux')}`, () => {
  for (const width of [80, 120]) {
    it(`${width} columns: every cell is cut to its column (…), none runs into the next; LAST says "ago"`, async () => {
      const home = makeHome({ 'tasks/app.yaml': TASKS });
      await startTestDaemon(home);
      const session = `top${width}`;
      tmux.open(session, width, 30, `${process.execPath} ${CLI} top --refresh 300; sleep 10`, { JOBCTL_HOME: home });
      const ready = (s: string) => /worker\s+running\s+\S*healthy/.test(s) && /tick\s+\S+.*ok \d+m?s ago/.test(s);
      // The screen checked is the screen read: a tick run may be going in a later one.
      let shown = '';
      await waitFor(() => ready((shown = tmux.screen(session))), 30_000, 'worker healthy and a finished tick run in the table');
      const lines = shown.split('\n');
      const h = lines.findIndex((l) => /TASK\s+STATE\s+HEALTH\s+PROCS\s+UP\/NEXT\s+LAST\s+RST\s+CPU\s+MEM/.test(l));
      expect(h, lines.join('\n')).toBeGreaterThanOrEqual(0);
      // The table's border is the first and last character (│, or x where tmux draws it with ACS).
      const cols = columns(` ${lines[h]!.slice(1)}`);
      const rows = lines.slice(h + 1).filter((l) => /^.\s*(worker|a-task|tick)/.test(l));
      expect(rows).toHaveLength(3);
      for (const row of rows) {
        expect(row.length).toBeLessThanOrEqual(width);
        // The cell left of each column start ends with a space: nothing ran over.
        for (const c of cols.slice(1)) expect(row[c.at - 1], `"${row}": the cell before ${c.title} runs into it`).toBe(' ');
      }
      const worker = rows.find((r) => r.includes('worker'))!;
      // health in its own column, as in the TUI and `status` (issue 30)
      expect(worker.slice(cols[1]!.at, cols[2]!.at).trim()).toBe('running');
      expect(worker.slice(cols[2]!.at, cols[3]!.at).trim()).toMatch(/^\S*healthy$/);
      // The long name is cut with an ellipsis at 80 columns, not run into STATE; at 120 it fits.
      const name = rows.find((r) => r.includes('a-task'))!.slice(0, cols[1]!.at).trim();
      if (width === 80) expect(name).toMatch(/^. a-task\S*…$/);
      else expect(name).toMatch(/^. a-task-with-a-name-longer-than-its-column$/);
      const tick = rows.find((r) => r.includes('tick'))!;
      expect(tick.slice(cols.find((c) => c.title === 'LAST')!.at, cols.find((c) => c.title === 'RST')!.at).trim()).toMatch(/^ok \d+m?s ago$/);
      tmux('send-keys', '-t', session, 'q');
    }, 60_000);
  }
});
