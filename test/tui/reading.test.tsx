import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/shared/types.js';
import { cronTask, daemonTask, eventually, mount } from './fake-backend.js';

/**
 * Issue 30, "the TUI for reading logs every day": long lines, `[` `]` on runs, `q` from
 * anywhere, no stale lines, search in the log. The app at 100 columns (ink-testing-library).
 */

const LONG = `2026-12-04T06:00:00.000Z [out] ${'abcdefghij'.repeat(14)}END`; // 173 characters

const run = (id: string, startedAt: number): RunRecord => ({ id, task: 'report', scheduledAt: startedAt, startedAt, endedAt: startedAt + 1000, attempt: 1, trigger: 'schedule', state: 'succeeded' });

/** The app has quit: Ink unmounted it, and its hooks let go of the backend. */
const quit = (b: { listenerCount(e: string): number }) => expect(b.listenerCount('snapshot')).toBe(0);

describe('TUI: reading logs', () => {
  it('long lines wrap in the detail pane and the full-screen log; w cuts them and ← → scroll sideways', async () => {
    const { app, frame } = await mount([daemonTask('w')], {}, (b) => b.logLines.set('w', ['short line', LONG]));
    await eventually(() => expect(frame()).toContain('END'));
    // the whole line is on screen, over two rows, nothing cut with …
    expect(frame()).toMatch(/\[out\] abcdefghij\S*\n\S*END/);
    expect(frame()).not.toMatch(/abcdefghij…/);
    app.stdin.write('w');
    await eventually(() => expect(frame()).toContain('cut; ← → scroll, w wraps'));
    expect(frame()).not.toContain('END');
    app.stdin.write('\u001b[C'); // →
    await eventually(() => expect(frame()).toMatch(/from column 51/));
    app.stdin.write('\u001b[C');
    await eventually(() => expect(frame()).toContain('END'));
    app.stdin.write('w');
    app.stdin.write('l');
    await eventually(() => expect(frame()).toMatch(/^w · log · all instances/m));
    expect(frame()).toMatch(/\[out\] abcdefghij\S*\n\S*END/);
  });

  it('[ on a cron task goes to an earlier run, starting from the newest; ] to a later one', async () => {
    const { backend, app, frame } = await mount([cronTask('report')], {}, (b) => {
      b.runs = [run('r1', 1000), run('r2', 2000), run('r3', 3000)]; // oldest first
    });
    await eventually(() => expect(frame()).toContain('r3'));
    app.stdin.write('[');
    await eventually(() => expect(backend.follows.at(-1)).toEqual({ task: 'report', run: 'r3' }));
    expect(frame()).toMatch(/log · run r3 \(newest\)/);
    app.stdin.write('[');
    await eventually(() => expect(backend.follows.at(-1)).toEqual({ task: 'report', run: 'r2' }));
    app.stdin.write('[[');
    await eventually(() => expect(backend.follows.at(-1)).toEqual({ task: 'report', run: 'r1' }));
    // the oldest stays the oldest: [ does not go round to the newest
    expect(backend.follows.filter((f) => f.run === 'r3')).toHaveLength(1);
    app.stdin.write(']');
    await eventually(() => expect(backend.follows.at(-1)).toEqual({ task: 'report', run: 'r2' }));
    app.stdin.write(']]');
    await eventually(() => expect(backend.follows.at(-1)).toEqual({ task: 'report' }));
    expect(frame()).toMatch(/log · latest runs/);
  });

  it('the run read with [ stays that run when a newer one comes (it turned into the next run at each firing)', async () => {
    const { backend, app, frame } = await mount([cronTask('report', { lastRun: run('r3', 3000) })], {}, (b) => {
      b.runs = [run('r1', 1000), run('r2', 2000), run('r3', 3000)];
    });
    await eventually(() => expect(frame()).toContain('r3'));
    app.stdin.write('[[');
    await eventually(() => expect(backend.follows.at(-1)).toEqual({ task: 'report', run: 'r2' }));
    backend.runs = [...backend.runs, run('r4', 4000)];
    backend.emit('task', cronTask('report', { lastRun: run('r4', 4000) }));
    await eventually(() => expect(frame()).toMatch(/log · run r2 \(2 before the newest\)/));
    expect(backend.follows.at(-1)).toEqual({ task: 'report', run: 'r2' });
    // [ from there: the run before it; ] twice: the newest, r4
    app.stdin.write('[');
    await eventually(() => expect(backend.follows.at(-1)).toEqual({ task: 'report', run: 'r1' }));
    app.stdin.write(']]]');
    await eventually(() => expect(backend.follows.at(-1)).toEqual({ task: 'report', run: 'r4' }));
  });

  it('q quits from the full-screen log and from the help; Esc only closes them', async () => {
    const a = await mount([daemonTask('w')]);
    a.app.stdin.write('l');
    await eventually(() => expect(a.frame()).toMatch(/^w · log/m));
    a.app.stdin.write('\u001b');
    await eventually(() => expect(a.frame()).toMatch(/TASK\s+STATE/));
    a.app.stdin.write('l');
    await eventually(() => expect(a.frame()).toMatch(/^w · log/m));
    a.app.stdin.write('q');
    await eventually(() => quit(a.backend));

    const b = await mount([daemonTask('w')]);
    b.app.stdin.write('?');
    await eventually(() => expect(b.frame()).toMatch(/q \/ Ctrl-C\s+quit, from anywhere/));
    b.app.stdin.write('q');
    await eventually(() => quit(b.backend));
  });

  it('a "stopping" message goes when the task moves on; a roll shows its progress and its message ends with it', async () => {
    const { backend, app, frame } = await mount([daemonTask('w')]);
    backend.control = async (verb, task) => {
      backend.calls.push(`${verb} ${task}`);
      return verb === 'rolling'
        ? [daemonTask(task, { rolling: { state: 'running', done: 0, total: 2, startedAt: 1000, instance: 0 } })]
        : [daemonTask(task, { state: 'stopping' })];
    };
    app.stdin.write('x');
    await eventually(() => expect(frame()).toContain('stop w? [y/N]'));
    app.stdin.write('y');
    await eventually(() => expect(frame()).toContain('w: stopping'));
    backend.emit('task', daemonTask('w', { state: 'stopping' }));
    backend.emit('task', daemonTask('w', { state: 'stopped', running: 0 }));
    await eventually(() => expect(frame()).toMatch(/› w\s+stopped/));
    await eventually(() => expect(frame()).not.toContain('w: stopping'));

    backend.emit('task', daemonTask('w'));
    app.stdin.write('R');
    await eventually(() => expect(frame()).toContain('w: rolling restart 0/2'));
    backend.emit('task', daemonTask('w', { rolling: { state: 'running', done: 1, total: 2, startedAt: 1000, instance: 1 } }));
    await eventually(() => expect(frame()).toContain('rolling restart: instance 1, 1/2 done'));
    expect(frame()).toContain('w: rolling restart 1/2 (progress in the detail pane)');
    backend.emit('task', daemonTask('w', { rolling: { state: 'done', done: 2, total: 2, startedAt: 1000, endedAt: 5000 } }));
    await eventually(() => expect(frame()).not.toMatch(/rolling restart/));
  });

  it('after Esc from a scrolled-back log the detail pane follows again', async () => {
    const lines = Array.from({ length: 100 }, (_, i) => `line ${i}`);
    const { app, frame } = await mount([daemonTask('w')], {}, (b) => b.logLines.set('w', lines));
    await eventually(() => expect(frame()).toContain('line 99'));
    app.stdin.write('l');
    await eventually(() => expect(frame()).toMatch(/^w · log/m));
    app.stdin.write('\u001b[5~'); // PgUp
    await eventually(() => expect(frame()).toMatch(/scrolled back \d+ lines/));
    expect(frame()).not.toContain('line 99');
    app.stdin.write('\u001b');
    await eventually(() => expect(frame()).toMatch(/TASK\s+STATE/));
    expect(frame()).toContain('line 99');
    expect(frame()).not.toMatch(/scrolled back/);
  });

  it('/ searches the full-screen log; n goes to an older match, N to a newer one', async () => {
    const lines = Array.from({ length: 200 }, (_, i) => (i % 50 === 7 ? `line ${i} ERROR disk full` : `line ${i} ok`));
    const { app, frame } = await mount([daemonTask('w')], {}, (b) => b.logLines.set('w', lines));
    app.stdin.write('l');
    await eventually(() => expect(frame()).toMatch(/^w · log/m));
    expect(frame()).toContain('line 199 ok');
    app.stdin.write('/');
    await eventually(() => expect(frame()).toMatch(/^\/ +\(Enter finds the newest match/m));
    app.stdin.write('error');
    await eventually(() => expect(frame()).toMatch(/^\/error/m));
    app.stdin.write('\r');
    // the newest match is the last line shown
    await eventually(() => expect(frame()).toContain('/error: n older, N newer'));
    expect(frame()).not.toContain('line 199 ok');
    const last = () => frame().split('\n').filter((l) => /^line \d+/.test(l)).at(-1);
    expect(last()).toBe('line 157 ERROR disk full');
    app.stdin.write('n');
    await eventually(() => expect(last()).toBe('line 107 ERROR disk full'));
    app.stdin.write('nn');
    await eventually(() => expect(last()).toBe('line 7 ERROR disk full'));
    app.stdin.write('n');
    await eventually(() => expect(frame()).toContain('"error" not found'));
    app.stdin.write('N');
    await eventually(() => expect(last()).toBe('line 57 ERROR disk full'));
    // typing a search is text: q does not quit there
    app.stdin.write('/');
    await eventually(() => expect(frame()).toMatch(/Enter finds the newest match/));
    app.stdin.write('q');
    await eventually(() => expect(frame()).toMatch(/^\/q/m));
    app.stdin.write('\u001b');
    await eventually(() => expect(frame()).not.toMatch(/Enter finds/));
  });

  it('a task\'s escape sequences do not reach the terminal, nor show as [31m leftovers; the search sees the text shown', async () => {
    const evil = '2026-12-04T06:00:00.000Z [out] \x1b[31mERROR\x1b[0m: disk \x1b]0;PWNED\x07full \u009b2J\x1b[5;5Hend';
    const { app, frame } = await mount([daemonTask('w')], {}, (b) => b.logLines.set('w', ['before', evil, 'after']));
    await eventually(() => expect(frame()).toContain('[out] ERROR: disk full end'));
    expect(frame()).not.toMatch(/\x1b|\u009b|\[31m|\]0;|PWNED/);
    app.stdin.write('l');
    await eventually(() => expect(frame()).toMatch(/^w · log/m));
    app.stdin.write('/');
    await eventually(() => expect(frame()).toMatch(/Enter finds the newest match/));
    app.stdin.write('error: disk full');
    await eventually(() => expect(frame()).toMatch(/^\/error: disk full/m));
    app.stdin.write('\r');
    await eventually(() => expect(frame()).toContain('/error: disk full: n older, N newer'));
  });

  it('wide characters wrap by the columns they take: nothing is cut with …', async () => {
    const wide = `[out] ${'漢字'.repeat(60)}END`; // 6 + 240 + 3 columns
    const { frame } = await mount([daemonTask('w')], {}, (b) => b.logLines.set('w', [wide]));
    await eventually(() => expect(frame()).toContain('END'));
    expect(frame()).not.toContain('…');
    expect(frame().split('\n').filter((l) => l.includes('漢')).join('').replace(/\s/g, '')).toBe(wide.replace(/\s/g, ''));
  });

  it('keys that come in one chunk (fast typing, ssh, tmux send-keys) each count, Enter and Backspace too', async () => {
    const lines = Array.from({ length: 50 }, (_, i) => (i === 20 ? 'line 20 ERROR disk full' : `line ${i} ok`));
    const { app, frame } = await mount([daemonTask('w')], {}, (b) => b.logLines.set('w', lines));
    app.stdin.write('l');
    await eventually(() => expect(frame()).toMatch(/^w · log/m));
    app.stdin.write('/errox\u007fr\r');
    await eventually(() => expect(frame()).toContain('/error: n older, N newer'));
    expect(frame().split('\n').filter((l) => /^line \d+/.test(l)).at(-1)).toBe('line 20 ERROR disk full');
  });

  it('`jl` in one chunk opens the log of the task moved to, not of the one before the move (tmux send-keys j l)', async () => {
    const { app, frame } = await mount([daemonTask('a'), daemonTask('w')], {}, (b) => b.logLines.set('w', ['w says hi']));
    await eventually(() => expect(frame()).toMatch(/› a/));
    app.stdin.write('jl');
    await eventually(() => expect(frame()).toMatch(/^w · log/m));
    expect(frame()).not.toMatch(/^a · log/m);
  });

  it('a log scrolled back holds still while the task writes: the lines read stay on screen', async () => {
    const lines = Array.from({ length: 100 }, (_, i) => `line ${i}`);
    const { backend, app, frame } = await mount([daemonTask('w')], {}, (b) => b.logLines.set('w', lines));
    app.stdin.write('l');
    await eventually(() => expect(frame()).toMatch(/^w · log/m));
    app.stdin.write('\u001b[5~'); // PgUp
    await eventually(() => expect(frame()).toMatch(/scrolled back \d+ lines/));
    const shown = () => frame().split('\n').filter((l) => /^line \d+$/.test(l));
    const before = shown();
    const back = Number(/scrolled back (\d+) lines/.exec(frame())![1]);
    backend.emit('log', { subscription: backend.lastSubscription, text: 'new 1\nnew 2\nnew 3\n' });
    // three lines more below the view: it is three lines further back, on the same lines
    await eventually(() => expect(frame()).toContain(`scrolled back ${back + 3} lines`));
    expect(shown()).toEqual(before);
    // PgDn to the end follows again, and shows what came meanwhile
    app.stdin.write('G');
    await eventually(() => expect(frame()).toContain('new 3'));
  });

  it('a task removed while its log is open: the log closes and says so, it does not turn into another task\'s log', async () => {
    const { backend, app, frame } = await mount([daemonTask('alpha'), daemonTask('gone')], {}, (b) => {
      b.logLines.set('alpha', ['alpha says hi']);
      b.logLines.set('gone', ['gone says bye']);
    });
    app.stdin.write('j');
    await eventually(() => expect(frame()).toMatch(/› gone/));
    app.stdin.write('l');
    await eventually(() => expect(frame()).toMatch(/^gone · log/m));
    backend.snapshot([daemonTask('alpha')]);
    await eventually(() => expect(frame()).toContain('gone is gone'));
    expect(frame()).not.toMatch(/^alpha · log/m);
    expect(frame()).toMatch(/TASK\s+STATE/);
  });

  it('in a fleet, the host of the open log drops: the log closes and names the host', async () => {
    let web1: 'connected' | 'disconnected' = 'connected';
    const { backend, app, frame } = await mount([daemonTask('api', { host: 'web1' }), daemonTask('api', { host: 'web2' })], {}, (b) => {
      b.hosts = () => [{ host: 'web1', connection: web1 }, { host: 'web2', connection: 'connected' }];
    });
    app.stdin.write('l');
    await eventually(() => expect(frame()).toMatch(/^api · log/m));
    web1 = 'disconnected';
    backend.emit('hosts', backend.hosts!());
    backend.snapshot([daemonTask('api', { host: 'web2' })]);
    await eventually(() => expect(frame()).toContain('web1:api is gone: host web1 is not connected'));
    expect(frame()).not.toMatch(/^api · log/m);
    // the host is back: the message is no longer true, and goes
    web1 = 'connected';
    backend.emit('hosts', backend.hosts!());
    backend.snapshot([daemonTask('api', { host: 'web1' }), daemonTask('api', { host: 'web2' })]);
    await eventually(() => expect(frame()).not.toContain('is gone'));
  });
});
