import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { App } from '../../src/tui/components/App.js';
import { FakeBackend, cronTask, daemonTask, eventually, mount, mounted, tick } from './fake-backend.js';

describe('TUI', () => {
  it('lists tasks grouped by file, with state, processes, last run, CPU and memory', async () => {
    const { frame } = await mount([daemonTask('mailer'), cronTask('nightly')]);
    const f = frame();
    expect(f).toMatch(/▾ @reports\n.*nightly\s+scheduled\s+-\s+in \d+m\d+s\s+failed \ds ago/);
    expect(f).toMatch(/▾ @workers\n.*mailer\s+running\s+2\/2\s+1m\S*\s+-\s+0\s+1\.5%\s+5\.0MB/);
    expect(f).toMatch(/jobctl 2 tasks · 1 running · 1 failing · home \/srv\/jobs · pid 42/);
  });

  it('a fleet view opens at the top, on the first row, though the hosts answer one by one', async () => {
    const backend = new FakeBackend();
    const app = render(<App backend={backend} flushMs={5} />);
    mounted.push(app);
    const frame = () => app.lastFrame() ?? '';
    const on = (host: string, names: string[], group = 'workers') => names.map((n) => daemonTask(n, { host, group }));
    const local = on('zeta', ['z-api', 'z-mailer', 'z-queue']);
    // The local host answers first; alpha and beta come later and sort in above it.
    backend.snapshot(local);
    await eventually(() => expect(frame()).toMatch(/› .*z-api/));
    backend.snapshot([...on('alpha', ['a-api', 'a-mailer'], 'app'), ...on('alpha', ['a-queue', 'a-report']), ...on('beta', ['b-api', 'b-mailer']), ...on('beta', ['b-queue'], 'jobs'), ...local, ...on('zeta', ['z-sync'], 'jobs')]);
    await eventually(() => expect(frame()).toMatch(/› .*a-api/));
    const lines = frame().split('\n');
    // The first host's first group header is on screen, right above the cursor's row.
    const at = lines.findIndex((l) => /› .*a-api/.test(l));
    expect(lines[at - 1]).toMatch(/▾ alpha · @app/);
    // Moving the cursor pins it to its task from then on.
    app.stdin.write('j');
    await eventually(() => expect(frame()).toMatch(/› .*a-mailer/));
    backend.snapshot([...on('aaa', ['first']), ...on('alpha', ['a-api', 'a-mailer'], 'app')]);
    await eventually(() => expect(frame()).toContain('first'));
    expect(frame()).toMatch(/› .*a-mailer/);
  });

  it('shows the selected task in the detail pane with its live log', async () => {
    const { backend, frame } = await mount([daemonTask('mailer')]);
    expect(backend.follows).toEqual([{ task: 'mailer' }]);
    expect(frame()).toMatch(/mailer {2}@workers · running\n {2}service · 2 instance\(s\)/);
    expect(frame()).toMatch(/#0 running {3}pid 100 up 1m/);
    await eventually(() => expect(frame()).toContain('first line of mailer'));
    backend.emit('log', { subscription: backend.lastSubscription, text: 'a new line\nand another\n' });
    await eventually(() => expect(frame()).toMatch(/first line of mailer\na new line\nand another/));
    // lines of several instances followed at once say which instance wrote them
    backend.emit('log', { subscription: backend.lastSubscription, instance: 1, text: '2026-11-21T08:00:00.000Z [out] from one\n' });
    backend.emit('log', { subscription: backend.lastSubscription, instance: 0, text: 'raw zero\n' });
    await eventually(() => expect(frame()).toMatch(/2026-11-21T08:00:00\.000Z #1 \[out\] from one\n#0 raw zero/));
  });

  it('keys: move, stop with a confirm, start, restart, run, kill, help, filter', async () => {
    const { backend, app, frame } = await mount([daemonTask('a-worker'), daemonTask('b-worker'), cronTask('report')]);
    const press = async (keys: string, until: () => void) => {
      app.stdin.write(keys);
      await eventually(until);
    };
    // sorted by group: reports/report, workers/a-worker, workers/b-worker
    expect(frame()).toMatch(/› report/);
    await press('j', () => expect(frame()).toMatch(/› a-worker/));
    await press('jj', () => expect(frame()).toMatch(/› b-worker/)); // fast typing arrives in one chunk
    await press('x', () => expect(frame()).toContain('stop b-worker? [y/N]'));
    await press('n', () => expect(frame()).toContain('cancelled'));
    expect(backend.calls).toEqual([]);
    await press('x', () => expect(frame()).toContain('stop b-worker? [y/N]'));
    await press('y', () => expect(frame()).toContain('b-worker: stopped'));
    expect(backend.calls).toEqual(['stop b-worker']);
    await press('s', () => expect(backend.calls.at(-1)).toBe('start b-worker'));
    await press('r', () => expect(backend.calls.at(-1)).toBe('restart b-worker'));
    await press('R', () => expect(frame()).toContain('b-worker: rolling restart 0/2'));
    await press('K', () => expect(frame()).toContain('SIGKILL b-worker? [y/N]'));
    await press('y', () => expect(backend.calls.at(-1)).toBe('kill b-worker SIGKILL'));
    await press('k', () => expect(frame()).toMatch(/› a-worker/));
    await press('k', () => expect(frame()).toMatch(/› report/));
    await press('t', () => expect(frame()).toContain('report: run r1 running'));
    expect(backend.calls).toEqual(['stop b-worker', 'start b-worker', 'restart b-worker', 'rolling b-worker', 'kill b-worker SIGKILL', 'run report']);
    await press('?', () => expect(frame()).toMatch(/jobctl tui — keys[\s\S]*x {11}stop \(asks first\)[\s\S]*q \/ Ctrl-C {2}quit/));
    await press('?', () => expect(frame()).not.toContain('jobctl tui — keys'));
    await press('/', () => expect(frame()).toMatch(/^\/\s*$/m));
    await press('b-w', () => expect(frame()).toMatch(/\/b-w/));
    expect(frame()).toContain('b-worker');
    expect(frame()).not.toMatch(/a-worker\s+running/);
  });

  it('every key is in the footer and the help', async () => {
    const { app, frame } = await mount([daemonTask('w')]);
    for (const k of ['↑↓', '⏎', 's start', 'x stop', 'r restart', 'R roll', 't run', 'K kill', 'l logs', '[]', 'PgUp', '/ filter', '? help', 'q quit']) {
      expect(frame(), k).toContain(k);
    }
    app.stdin.write('?');
    await eventually(() => {
      for (const k of ['↑ ↓ / j k', 'enter', 'PgUp PgDn', '[ ]']) expect(frame(), k).toContain(k);
    });
  });

  it('shows a lost daemon, and recovers when it is back', async () => {
    const { backend, frame } = await mount([daemonTask('w')]);
    backend.connection = 'disconnected';
    backend.emit('connection', 'disconnected');
    await eventually(() => expect(frame()).toContain('daemon not reachable: reconnecting every second'));
    backend.connection = 'connected';
    backend.emit('connection', 'connected');
    backend.snapshot([daemonTask('w', { state: 'backoff' })]);
    await eventually(() => expect(frame()).not.toContain('not reachable'));
    expect(frame()).toMatch(/w\s+backoff/);
  });

  it('shows config errors in a banner: a last good version only when there was one', async () => {
    const configErrors = [{ file: 'tasks/app.yaml', line: 3, col: 5, task: 'w', message: 'unknown key "comand" (did you mean "command"?)' }];
    const kept = await mount([daemonTask('w')], { configErrors, keptFiles: ['tasks/app.yaml'] });
    expect(kept.frame()).toMatch(/1 config error; the last good version of tasks\/app\.yaml keeps running\s*\n.*tasks\/app\.yaml:3:5 task "w": unknown key "comand"/);
    // first start with an invalid file: nothing of it was ever loaded
    const never = await mount([daemonTask('other')], { configErrors });
    expect(never.frame()).toMatch(/1 config error; tasks\/app\.yaml is not loaded until fixed/);
    expect(never.frame()).not.toMatch(/last good/);
  });

  it('l opens the log full screen; [ ] switch instance; Esc returns', async () => {
    const { backend, app, frame } = await mount([daemonTask('w')]);
    app.stdin.write('l');
    await eventually(() => expect(frame()).toMatch(/^w · log · all instances · following/m));
    app.stdin.write(']');
    await eventually(() => expect(backend.follows.at(-1)).toEqual({ task: 'w', instance: 0 }));
    expect(frame()).toMatch(/log · instance 0/);
    app.stdin.write('\u001b');
    await eventually(() => expect(frame()).toMatch(/TASK\s+STATE/));
  });

  it('stays bounded with 500 tasks and a log flood', async () => {
    const many = Array.from({ length: 500 }, (_, i) => daemonTask(`task-${String(i).padStart(3, '0')}`));
    const { backend, frame } = await mount(many);
    const t0 = performance.now();
    for (let i = 0; i < 100; i++) {
      backend.emit('log', { subscription: backend.lastSubscription, text: `${Array.from({ length: 100 }, (_, k) => `flood ${i}-${k}`).join('\n')}\n` });
      backend.emit('task', daemonTask(`task-${String(i).padStart(3, '0')}`, { restarts: i }));
    }
    await tick(60);
    const took = performance.now() - t0;
    const f = frame();
    expect(f.split('\n').length).toBeLessThanOrEqual(24);
    expect(f).toContain('flood 99-99');
    expect(took).toBeLessThan(2000);
  });
});
