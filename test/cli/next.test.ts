import { afterAll, describe, expect, it } from 'vitest';
import { jobctl } from '../helpers/cli.js';
import { tempDir, writeFiles } from '../helpers/temp.js';

const temps: Array<() => void> = [];
afterAll(() => temps.forEach((c) => c()));

describe('jobctl next', () => {
  it('prints firings of an expression in a zone, across spring forward', async () => {
    const r = await jobctl(['next', '30 2 * * *', '--tz', 'Europe/Berlin', '--from', '2026-03-28T12:00:00Z', '-n', '3']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')).toEqual([
      '30 2 * * *  (Europe/Berlin)',
      '2026-03-29 03:00:00 +02:00  in 13h',
      '2026-03-30 02:30:00 +02:00  in 1d12h',
      '2026-03-31 02:30:00 +02:00  in 2d12h',
    ]);
  });

  it('--json on the fall-back day in New York: 01:30 once', async () => {
    const r = await jobctl(['next', '30 1 * * *', '--tz', 'America/New_York', '--from', '2026-10-31T12:00:00Z', '-n', '2', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      expression: '30 1 * * *',
      timezone: 'America/New_York',
      from: '2026-10-31T12:00:00.000Z',
      runs: ['2026-11-01T05:30:00.000Z', '2026-11-02T06:30:00.000Z'],
    });
  });

  it("reads a task's schedule and zone", async () => {
    const { dir, cleanup } = tempDir();
    temps.push(cleanup);
    writeFiles(dir, { 'tasks/a.yaml': 'tasks:\n  tick:\n    schedule: "*/15 * * * * *"\n    timezone: Asia/Tokyo\n    command: x\n  web:\n    command: y\n' });
    const r = await jobctl(['next', 'tick', '--from', '2026-01-01T00:00:01Z', '-n', '2'], { home: dir });
    expect(r.stdout.split('\n')).toEqual([
      'tick: */15 * * * * *  (Asia/Tokyo)',
      '2026-01-01 09:00:15 +09:00  in 14s',
      '2026-01-01 09:00:30 +09:00  in 29s',
    ]);
    const d = await jobctl(['next', 'web'], { home: dir });
    expect(d.code).toBe(1);
    expect(d.stderr).toBe('jobctl: task "web" is a service task (no schedule); `next` is for cron tasks');
    const u = await jobctl(['next', 'nope'], { home: dir });
    expect(u.code).toBe(1);
    expect(u.stderr).toMatch(/^jobctl: no task named "nope" in .*; for an expression, quote it/);
  });

  it('usage errors exit 2 with what to do', async () => {
    const bad = await jobctl(['next', '61 * * * *']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^jobctl: invalid expression "61 \* \* \* \*": Invalid value for minute: 61; use 5 fields/);
    const tz = await jobctl(['next', '@daily', '--tz', 'Mars/Base']);
    expect(tz.code).toBe(2);
    expect(tz.stderr).toBe('jobctl: --tz: unknown zone "Mars/Base"; use an IANA name such as Europe/Berlin or UTC');
    const from = await jobctl(['next', '@daily', '--from', 'yesterday']);
    expect(from.code).toBe(2);
    const n = await jobctl(['next', '@daily', '-n', '0']);
    expect(n.code).toBe(2);
    expect(n.stderr).toBe('jobctl: -n: expected a whole number from 1 to 1000, got "0"');
    const unknown = await jobctl(['nxet']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command 'nxet'.*\n.*Did you mean next\?/s);
  });
});
