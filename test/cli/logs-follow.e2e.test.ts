import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupDaemons, makeHome, startTestDaemon } from '../helpers/daemon.js';
import { CLI, jobctl } from '../helpers/cli.js';
import { waitFor } from '../helpers/wait.js';

afterEach(async () => {
  expect(await cleanupDaemons()).toEqual([]);
});

const FLOOD = `tasks:
  flood:
    command: "yes 'the quick brown fox jumps over the lazy dog'"
`;

describe('jobctl logs -f against a flooding task', () => {
  it('a reader that keeps up is never cut off; the daemon stays fine', async () => {
    const home = makeHome({ 'tasks/app.yaml': FLOOD });
    const d = await startTestDaemon(home);
    // The state itself (the JSON also says "desired":"running" while the task is still starting).
    await waitFor(async () => JSON.parse((await jobctl(['status', 'flood', '--json'], { home })).stdout).tasks[0]?.state === 'running', 10_000, 'flood running');
    const cli = spawn(process.execPath, [CLI, 'logs', 'flood', '-f', '-n', '0'], { env: { ...process.env, JOBCTL_HOME: home, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let bytes = 0;
    let stderr = '';
    cli.stdout!.on('data', (b: Buffer) => (bytes += b.length));
    cli.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    const exited = new Promise<number | null>((r) => cli.once('exit', (code) => r(code)));
    // It read megabytes of the flood (a volume, not a time: a loaded machine floods slower)
    // and was never cut off meanwhile.
    await waitFor(() => bytes > 3_000_000 || cli.exitCode !== null, 45_000, '3 MB of the flood read');
    expect(cli.exitCode, stderr).toBe(null);
    expect(stderr).not.toMatch(/went away|stopped sending/);
    expect(bytes).toBeGreaterThan(3_000_000);
    cli.kill('SIGINT');
    expect(await exited).toBe(0);
    const s = await jobctl(['status', 'flood', '--json'], { home });
    expect(s.code).toBe(0);
    expect(JSON.parse(s.stdout).tasks[0].state).toBe('running');
    expect(await d.stop()).toBe(0);
  }, 60_000);

  it('piping into `head -c 100` ends quietly: no stack trace, exit 0', async () => {
    const home = makeHome({ 'tasks/app.yaml': FLOOD });
    await startTestDaemon(home);
    await waitFor(async () => (await jobctl(['status', 'flood', '--json'], { home })).stdout.includes('"running"'), 10_000, 'flood running');
    for (const args of ['logs flood -f', 'logs flood -n 5000']) {
      const r = await new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
        const sh = spawn('/bin/bash', ['-o', 'pipefail', '-c', `"${process.execPath}" "${CLI}" ${args} | head -c 100`], {
          env: { ...process.env, JOBCTL_HOME: home, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        let err = '';
        sh.stdout!.on('data', (b: Buffer) => (out += b.toString()));
        sh.stderr!.on('data', (b: Buffer) => (err += b.toString()));
        sh.once('exit', (code) => resolve({ code, out, err }));
      });
      expect(r.out.length, args).toBe(100);
      expect(r.err, args).toBe('');
      expect(r.code, args).toBe(0);
    }
  }, 60_000);
});
