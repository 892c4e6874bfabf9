import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, jobctl } from '../helpers/cli.js';
import { cleanupDaemons, makeHome, startTestDaemon } from '../helpers/daemon.js';
import { hasTool, needs } from '../helpers/tools.js';
import { waitFor } from '../helpers/wait.js';

/** A private tmux server, so the user's sessions are never touched. */
const SOCKET = `jobctl-test-${process.pid}`;
const tmux = (...args: string[]) => execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });
const screen = (session: string) => tmux('capture-pane', '-p', '-t', session);
/** Session names; none (the server exits with its last session) is an empty list. */
const sessions = (): string[] => {
  try {
    return tmux('list-sessions', '-F', '#{session_name}').split('\n');
  } catch {
    return [];
  }
};
const hasTmux = hasTool('tmux');

let home: string;
beforeAll(async () => {
  home = makeHome({
    'tasks/app.yaml': 'tasks:\n  worker:\n    command: while true; do echo "working $JOBCTL_INSTANCE"; sleep 0.3; done\n    instances: 2\n    start_seconds: 200ms\n  tick:\n    schedule: "* * * * * *"\n    command: echo tick\n',
  });
  await startTestDaemon(home);
});
afterAll(async () => {
  try {
    tmux('kill-server');
  } catch {
    /* already gone */
  }
  expect(await cleanupDaemons()).toEqual([]);
});

describe.runIf(hasTmux)(`in a real terminal (tmux, 80x24)${needs('tmux')}`, () => {
  it('jobctl tui stops and starts a task; the state changes on screen and in jobctl status', async () => {
    tmux('new-session', '-d', '-s', 'tui', '-x', '80', '-y', '24', `JOBCTL_HOME=${home} ${process.execPath} ${CLI} tui`);
    await waitFor(() => /worker\s+running\s+2\/2/.test(screen('tui')), 10_000, 'worker running on screen');
    expect(screen('tui')).toMatch(/tick\s+(scheduled|running)/);
    // select the worker (tasks are sorted: tick, worker), stop it with the confirm
    tmux('send-keys', '-t', 'tui', 'j');
    await waitFor(() => /› worker/.test(screen('tui')), 5000, 'worker selected');
    await waitFor(() => /\[out\] working [01]/.test(screen('tui')), 5000, 'live log in the detail pane');
    tmux('send-keys', '-t', 'tui', 'x');
    await waitFor(() => screen('tui').includes('stop worker? [y/N]'), 5000, 'confirm');
    tmux('send-keys', '-t', 'tui', 'y');
    await waitFor(() => /› worker\s+stopped\s+0\/2/.test(screen('tui')), 10_000, 'stopped on screen');
    expect((await jobctl(['status', 'worker'], { home })).stdout).toMatch(/worker\s+app\s+service\s+stopped\s+0\/2/);
    tmux('send-keys', '-t', 'tui', 's');
    await waitFor(() => /› worker\s+running\s+2\/2/.test(screen('tui')), 10_000, 'running again on screen');
    expect((await jobctl(['status', 'worker'], { home })).stdout).toMatch(/worker\s+app\s+service\s+running\s+2\/2/);
    // fits 80x24
    for (const line of screen('tui').split('\n')) expect(line.length).toBeLessThanOrEqual(80);
    tmux('send-keys', '-t', 'tui', 'q');
    await waitFor(() => !sessions().includes('tui'), 5000, 'tui quit');
  });

  it('jobctl tui shows colors on a real terminal even with CI=false, and none with NO_COLOR', async () => {
    const sgrColor = /\x1b\[[0-9;]*(3[0-7]|9[0-7]|38;[25]|4[0-7]|10[0-7])[0-9;]*m/;
    const colored = (session: string) => tmux('capture-pane', '-e', '-p', '-t', session);
    for (const [session, env, wantColor] of [['tui-ci', 'CI=false', true], ['tui-nc', 'CI=false NO_COLOR=1', false]] as const) {
      tmux('new-session', '-d', '-s', session, '-x', '80', '-y', '24', `env ${env} JOBCTL_HOME=${home} ${process.execPath} ${CLI} tui`);
      await waitFor(() => /worker\s+running\s+2\/2/.test(screen(session)), 10_000, `${session}: worker on screen`);
      if (wantColor) await waitFor(() => sgrColor.test(colored(session)), 5000, `${session}: colors`);
      else expect(colored(session)).not.toMatch(sgrColor);
      tmux('send-keys', '-t', session, 'q');
      await waitFor(() => !sessions().includes(session), 5000, `${session} quit`);
    }
  });

  it('jobctl tui redraws cleanly when the terminal shrinks to 60x16, keeps LAST\'s "ago", and says the minimum below it', async () => {
    tmux('new-session', '-d', '-s', 'small', '-x', '120', '-y', '35', `JOBCTL_HOME=${home} ${process.execPath} ${CLI} tui`);
    await waitFor(() => /worker\s+running\s+2\/2/.test(screen('small')), 10_000, 'worker running at 120x35');
    tmux('resize-window', '-t', 'small', '-x', '60', '-y', '16');
    // The screen checked is the screen read: a tick run may be going in a later one.
    let shown = '';
    await waitFor(() => /^jobctl 2 tasks · \d running/.test((shown = screen('small'))) && /tick\s+\S+.*ok \d+m?s ago/.test(shown), 10_000, 'redrawn at 60x16');
    const lines = shown.split('\n');
    for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(60);
    // one header, whole, and no leftovers of the wide layout (`jobct 3 tasks · 1 runnin`)
    expect(lines.filter((l) => /tasks · \d/.test(l)), shown).toHaveLength(1);
    expect(lines[0]).toMatch(/^jobctl 2 tasks · \d running · home /);
    expect(lines.filter((l) => /TASK\s+STATE/.test(l)), shown).toHaveLength(1);
    // every part of the detail pane is there, none drawn over another (`cron · * * * * * *ed`)
    const name = lines.findIndex((l) => /^tick {2}@app · \S+$/.test(l));
    expect(name, shown).toBeGreaterThan(0);
    expect(lines[name + 1]).toMatch(/^ {2}cron · \* \* \* \* \* \*$/);
    expect(lines.slice(name).some((l) => /^log · latest runs/.test(l)), shown).toBe(true);
    tmux('resize-window', '-t', 'small', '-x', '40', '-y', '10');
    await waitFor(() => screen('small').includes('jobctl tui needs 50×12'), 10_000, 'the minimum size said');
    tmux('resize-window', '-t', 'small', '-x', '80', '-y', '24');
    await waitFor(() => /worker\s+running\s+2\/2/.test(screen('small')) && !screen('small').includes('needs 50'), 10_000, 'back at 80x24');
    tmux('send-keys', '-t', 'small', 'q');
    await waitFor(() => !sessions().includes('small'), 5000, 'tui quit');
  });

  it('jobctl tui: q quits from the full-screen log', async () => {
    tmux('new-session', '-d', '-s', 'logq', '-x', '80', '-y', '24', `JOBCTL_HOME=${home} ${process.execPath} ${CLI} tui`);
    await waitFor(() => /worker\s+running\s+2\/2/.test(screen('logq')), 10_000, 'worker on screen');
    tmux('send-keys', '-t', 'logq', 'j', 'l');
    await waitFor(() => /^worker · log · all instances/m.test(screen('logq')), 5000, 'full-screen log');
    tmux('send-keys', '-t', 'logq', 'q');
    await waitFor(() => !sessions().includes('logq'), 5000, 'tui quit from the log');
  });

  it('jobctl tui: a rolling restart\'s message goes when the roll has ended', async () => {
    tmux('new-session', '-d', '-s', 'roll', '-x', '80', '-y', '24', `JOBCTL_HOME=${home} ${process.execPath} ${CLI} tui`);
    await waitFor(() => /worker\s+running\s+2\/2/.test(screen('roll')), 10_000, 'worker on screen');
    tmux('send-keys', '-t', 'roll', 'j');
    await waitFor(() => /› worker/.test(screen('roll')), 5000, 'worker selected');
    tmux('send-keys', '-t', 'roll', 'R');
    await waitFor(() => /worker: rolling restart/.test(screen('roll')), 10_000, 'the roll said');
    await waitFor(() => !/rolling restart/.test(screen('roll')), 30_000, 'the message and the pane\'s progress gone after the roll');
    tmux('send-keys', '-t', 'roll', 'q');
    await waitFor(() => !sessions().includes('roll'), 5000, 'tui quit');
  });

  it('jobctl top draws its charts, table and events', async () => {
    tmux('new-session', '-d', '-s', 'top', '-x', '80', '-y', '24', `JOBCTL_HOME=${home} ${process.execPath} ${CLI} top --refresh 300; sleep 10`);
    await waitFor(() => {
      const s = screen('top');
      return s.includes('CPU %') && s.includes('Memory MB') && /worker\s+running\s+2\/2/.test(s);
    }, 10_000, 'dashboard');
    const s = screen('top');
    expect(s).toContain('connected to the daemon');
    expect(s).toMatch(/TASK\s+STATE\s+PROCS\s+UP\/NEXT\s+LAST\s+RST\s+CPU\s+MEM/);
    expect(s).toContain('last run (ms)');
    expect(s).toMatch(/[⡀-⣿]/); // braille line-chart cells
    // Issue 30: the title names the home and the daemon's pid; the legend is in the chart's
    // border (no box over the newest end); the axes are not black (SGR 30); a log pane.
    const pid = (JSON.parse((await jobctl(['status', '--json'], { home })).stdout) as { daemon: { pid: number } }).daemon.pid;
    expect(s).toContain(`home ${home}, pid ${pid}`);
    const lines = s.split('\n');
    expect(lines[0]).toMatch(/CPU % .*worker/);
    for (const l of lines.slice(1, 7)) expect(l, 'a legend box in the chart').not.toMatch(/[┌└]─+┐?|│worker/);
    const colored = tmux('capture-pane', '-e', '-p', '-t', 'top').split('\n').slice(0, 8).join('\n');
    expect(colored).not.toMatch(/\x1b\[(?:[0-9;]*;)?30(?:;[0-9;]*)?m/);
    await waitFor(() => /log: worker/.test(screen('top')) && /\[out\] working [01]|working [01]/.test(screen('top')), 10_000, 'the log pane follows the worker');
    tmux('send-keys', '-t', 'top', 'q');
    await waitFor(() => !screen('top').includes('CPU %'), 5000, 'top quit and restored the screen');
  });

  it('jobctl top with 100 tasks: the table scrolls (arrows, PgDn, End), the event pane shows exits, restarts and run results', async () => {
    const many = ['tasks:'];
    for (let i = 0; i < 100; i++) many.push(`  t${String(i).padStart(3, '0')}:\n    schedule: "0 0 1 1 *"\n    command: echo ${i}`);
    many.push('  crashy:\n    command: sleep 0.3; exit 3\n    start_seconds: 100ms\n    backoff: {initial: 100ms, max: 300ms}\n    max_restarts: 1000');
    many.push('  ticker:\n    schedule: "* * * * * *"\n    command: echo tick');
    const big = makeHome({ 'tasks/many.yaml': `${many.join('\n')}\n` });
    await startTestDaemon(big);
    tmux('new-session', '-d', '-s', 'top100', '-x', '100', '-y', '30', `JOBCTL_HOME=${big} ${process.execPath} ${CLI} top --refresh 300; sleep 10`);
    await waitFor(() => /t004\s+scheduled/.test(screen('top100')), 10_000, 'table drawn');
    await waitFor(() => /crashy#0 exited with code 3; restart/.test(screen('top100')), 10_000, 'exit event');
    await waitFor(() => /ticker run succeeded in \d+m?s/.test(screen('top100')), 10_000, 'run result event');
    expect(screen('top100')).not.toMatch(/t050\s+scheduled/);
    for (let i = 0; i < 51; i++) tmux('send-keys', '-t', 'top100', 'Down');
    await waitFor(() => /t050\s+scheduled/.test(screen('top100')), 10_000, 'scrolled to t050');
    expect(screen('top100')).not.toMatch(/t004\s+scheduled/);
    tmux('send-keys', '-t', 'top100', 'End');
    await waitFor(() => /t099\s+scheduled/.test(screen('top100')) && /ticker\s+(scheduled|running)/.test(screen('top100')), 10_000, 'scrolled to the end');
    tmux('send-keys', '-t', 'top100', 'Home');
    await waitFor(() => /crashy\s+\S+/.test(screen('top100').split('tasks (')[1] ?? ''), 10_000, 'back at the top');
    tmux('send-keys', '-t', 'top100', 'PageDown');
    tmux('send-keys', '-t', 'top100', 'PageDown');
    await waitFor(() => !/t000\s+scheduled/.test(screen('top100')) && /t01\d\s+scheduled/.test(screen('top100')), 10_000, 'two pages down');
    tmux('send-keys', '-t', 'top100', 'q');
    await waitFor(() => !screen('top100').includes('CPU %'), 5000, 'top quit');
  });
});
