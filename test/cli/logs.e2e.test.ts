import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, jobctl } from '../helpers/cli.js';
import { cleanupDaemons, makeHome, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { waitFor } from '../helpers/wait.js';

const TASKS = `tasks:
  w:
    command: while true; do echo "w $JOBCTL_INSTANCE says hi"; sleep 0.2; done
    instances: 2
    start_seconds: 200ms
  tick:
    schedule: "* * * * * *"
    command: echo "tick $JOBCTL_RUN_ID"
  never:
    schedule: "0 0 1 1 *"
    timezone: Europe/Berlin
    command: echo never
`;

let d: TestDaemon;
let home: string;
beforeAll(async () => {
  home = makeHome({ 'tasks/app.yaml': TASKS });
  d = await startTestDaemon(home);
  await waitFor(async () => JSON.parse((await jobctl(['status', 'tick', '--json'], { home })).stdout).tasks[0].lastRun?.state === 'succeeded', 10_000, 'a tick ran');
  await waitFor(async () => (await jobctl(['logs', 'w', '-n', '10'], { home })).stdout.split('\n').length >= 10, 10_000, 'w wrote');
});
afterAll(async () => {
  expect(await cleanupDaemons()).toEqual([]);
});

/** Start `jobctl ARGS` in the background, collect its output, and stop it with SIGINT. */
function background(args: string[]) {
  const p = execa(process.execPath, [CLI, ...args], { env: { JOBCTL_HOME: home, NO_COLOR: '1' }, reject: false });
  let out = '';
  p.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  return { p, out: () => out };
}

describe('jobctl logs', () => {
  it('with no task: every task\'s recent lines, prefixed task[#instance], in time order', async () => {
    const r = await jobctl(['logs', '-n', '12'], { home });
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines).toHaveLength(12);
    for (const l of lines) expect(l).toMatch(/^(w#[01]|tick|never) \| \d{4}-\S+Z \[(out|err|jobctl)\] /);
    expect(lines.some((l) => l.startsWith('w#0 | '))).toBe(true);
    expect(lines.some((l) => l.startsWith('w#1 | '))).toBe(true);
    const times = lines.map((l) => Date.parse(l.split(' | ')[1]!.slice(0, 24)));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    // a task's own line says which instance wrote it: "w#1 | … w 1 says hi"
    for (const l of lines.filter((x) => x.includes('says hi'))) expect(l).toMatch(/^w#(\d) \| .* w \1 says hi$/);
  });

  it('of one task with several instances: each merged line carries its instance', async () => {
    const lines = (await jobctl(['logs', 'w', '-n', '10'], { home })).stdout.split('\n');
    for (const l of lines) expect(l).toMatch(/^\S+Z #([01]) \[(out|jobctl)\] /);
    for (const l of lines.filter((x) => x.includes('says hi'))) expect(l).toMatch(/#(\d) \[out\] w \1 says hi$/);
  });

  it('of a cron task that never ran: "no runs yet; next at …"', async () => {
    const r = await jobctl(['logs', 'never'], { home });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^never: no runs yet; next at \d{4}-01-01 00:00:00 \+01:00 \(in \S+\)$/);
  });

  it('-f with no task follows every task; Ctrl-C exits 0 without blaming the daemon', async () => {
    const f = background(['logs', '-f', '-n', '0']);
    await waitFor(() => /^w#0 \| .*says hi$/m.test(f.out()) && /^w#1 \| .*says hi$/m.test(f.out()) && /^tick \| .*\[out\] tick /m.test(f.out()), 10_000, 'prefixed followed lines');
    f.p.kill('SIGINT');
    const r = await f.p;
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toBe('');
  });

  it('-f of one task: Ctrl-C exits 0 quietly', async () => {
    const f = background(['logs', 'w', '-f', '-n', '0']);
    await waitFor(() => (f.out().match(/says hi/g) ?? []).length >= 2, 10_000, 'followed');
    expect(f.out()).toMatch(/#[01] \[out\] w [01] says hi|\[out\] w [01] says hi/);
    f.p.kill('SIGINT');
    const r = await f.p;
    expect({ code: r.exitCode, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
  });

  it('with the daemon down: logs and history read state/ directly and say so in one line', async () => {
    await d.stop();
    const logs = await jobctl(['logs', 'w', '-n', '5'], { home });
    expect(logs.code).toBe(0);
    expect(logs.stderr).toBe(`jobctl: daemon not running (home ${home} (from $JOBCTL_HOME)); reading the log files in ${home}/state/logs directly`);
    const lines = logs.stdout.split('\n');
    expect(lines).toHaveLength(5);
    for (const l of lines) expect(l).toMatch(/^\S+Z #[01] \[(out|jobctl)\] /);
    const tick = await jobctl(['logs', 'tick'], { home });
    // the last run's log (a run cut short by the stop has its header line too)
    expect(tick.stdout).toMatch(/^\S+Z \[jobctl\] run \d{8}T\d{6}Z-\S+ \(schedule\)/);
    const all = await jobctl(['logs', '-n', '8'], { home });
    expect(all.stdout.split('\n')).toHaveLength(8);
    for (const l of all.stdout.split('\n')) expect(l).toMatch(/^(w#[01]|tick) \| /);
    const hist = await jobctl(['history', 'tick', '-n', '3'], { home });
    expect(hist.code).toBe(0);
    expect(hist.stderr).toBe(`jobctl: daemon not running (home ${home} (from $JOBCTL_HOME)); reading the run records in ${home}/state/runs directly`);
    expect(hist.stdout.split('\n')[0]).toMatch(/^RUN\s+TRIGGER\s+TRY/);
    const rows = hist.stdout.split('\n').slice(1);
    expect(rows.length).toBeGreaterThan(0);
    for (const l of rows) expect(l).toMatch(/^\d{8}T\d{6}Z-\S+\s+schedule\s+1\s+\d{4}-/);
    expect(rows.some((l) => /\ssucceeded\s/.test(l))).toBe(true);
    const follow = await jobctl(['logs', 'w', '-f'], { home });
    expect(follow.code).toBe(3);
    expect(follow.stderr).toMatch(/-f needs it/);
  });
});
