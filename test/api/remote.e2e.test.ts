import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listProcesses } from '../../src/runtime/proc.js';
import { CLI, jobctl } from '../helpers/cli.js';
import { cleanupDaemons, makeHome, startTestDaemon } from '../helpers/daemon.js';
import { hasSshd, startSshd, type TestSshd } from '../helpers/sshd.js';
import { privateTmux } from '../helpers/tmux.js';
import { waitFor } from '../helpers/wait.js';

/**
 * `--host ssh://…` against a daemon "on the far side": a real sshd on 127.0.0.1, the
 * system ssh client, and `jobctl dial-stdio` run by sshd.
 */
let sshd: TestSshd;
let home: string;
let url: string;
const tmux = privateTmux('remote');
const screen = tmux.screen;

/** The far side's bridges to this home's socket (the processes sshd started for us). */
function bridges(): number[] {
  return listProcesses().filter((p) => {
    try {
      const cmd = fs.readFileSync(`/proc/${p.pid}/cmdline`, 'utf8');
      return cmd.includes('dial-stdio') && cmd.includes(home);
    } catch {
      return false;
    }
  }).map((p) => p.pid);
}

const remote = (args: string[], timeoutMs = 30_000) => jobctl(['--host', url, ...args], { env: sshd.env, timeoutMs, cwd: '/' });

beforeAll(async () => {
  if (!hasSshd) return;
  sshd = await startSshd();
  home = makeHome({
    'tasks/app.yaml': 'tasks:\n  worker:\n    command: while true; do echo "working $JOBCTL_INSTANCE"; sleep 0.3; done\n    instances: 2\n    start_seconds: 200ms\n  tick:\n    schedule: "* * * * * *"\n    command: echo tick\n',
  });
  url = sshd.url(home);
  await startTestDaemon(home);
}, 60_000);

afterAll(async () => {
  tmux.close();
  expect(await cleanupDaemons()).toEqual([]);
  await sshd?.stop();
});

describe.runIf(hasSshd)('jobctl --host ssh://… (a real sshd on 127.0.0.1)', () => {
  it('status, stop and start act on the far daemon', async () => {
    const s = await remote(['status']);
    expect(s.stderr).toBe('');
    expect(s.code).toBe(0);
    expect(s.stdout).toMatch(/worker\s+app\s+service\s+running\s+2\/2/);
    const stop = await remote(['stop', 'worker']);
    expect(stop.stdout).toBe('worker: stopped (0/2 running)');
    expect((await jobctl(['status', 'worker', '--json'], { home })).stdout).toContain('"state": "stopped"');
    const start = await remote(['start', 'worker']);
    expect(start.stdout).toBe('worker: running (2/2 running)');
    expect(JSON.parse((await remote(['status', '--json'])).stdout).daemon.home).toBe(home);
  }, 90_000);

  it('JOBCTL_HOST works like --host', async () => {
    const r = await jobctl(['status', 'tick'], { env: { ...sshd.env, JOBCTL_HOST: url }, cwd: '/' });
    expect(r.stdout).toMatch(/tick\s+app\s+cron\s+(scheduled|running)/);
  }, 90_000);

  it('logs -f streams live lines; a dropped connection is one clear line and exit 3', async () => {
    const child = spawn(process.execPath, [CLI, '--host', url, 'logs', 'worker', '-f', '-n', '1'], { env: { ...process.env, ...sshd.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    try {
      const before = Date.now();
      await waitFor(() => out.split('\n').filter((l) => /\[out\] working [01]/.test(l)).length >= 4, 20_000, 'live lines over ssh');
      // lines keep coming: new ones are stamped after the follow began
      expect(out.split('\n').some((l) => /\[out\] working/.test(l) && Date.parse(l.slice(0, 24)) >= before)).toBe(true);
      await waitFor(() => bridges().length > 0, 5000, 'the far side bridge');
      for (const pid of bridges()) process.kill(pid, 'SIGKILL');
      expect(await Promise.race([exited, new Promise((r) => setTimeout(() => r('hang'), 30_000))])).toBe(3);
      const lines = err.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^jobctl: lost the connection to ssh://.*127\\.0\\.0\\.1:${sshd.port}`));
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 90_000);

  it("ssh's own errors are shown as ssh said them", async () => {
    const refused = await jobctl(['--host', 'ssh://root@127.0.0.1:1/x', 'status'], { env: sshd.env, cwd: '/' });
    expect(refused.code).toBe(3);
    expect(refused.stderr.trim()).toMatch(/^jobctl: ssh:\/\/root@127\.0\.0\.1:1\/x: ssh: connect to host 127\.0\.0\.1 port 1: Connection refused$/);

    const missing = await jobctl(['--host', url, 'status'], { env: { ...sshd.env, JOBCTL_REMOTE_COMMAND: 'no-such-jobctl' }, cwd: '/' });
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/no-such-jobctl: command not found \(is jobctl installed there\? set JOBCTL_REMOTE_COMMAND/);

    const noDaemon = await jobctl(['--host', sshd.url('/nonexistent-home'), 'status'], { env: sshd.env, cwd: '/' });
    expect(noDaemon.code).toBe(3);
    // Issue 30: no home there at all is not "start it with jobctl up".
    expect(noDaemon.stderr.trim()).toMatch(new RegExp(`^jobctl: ${sshd.url('/nonexistent-home').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: no jobctl home at /nonexistent-home on \\S+ \\(/nonexistent-home does not exist\\): make one there with \`jobctl init /nonexistent-home\``));

    const bad = await jobctl(['--host', 'http://web1', 'status'], { cwd: '/' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/bad host "http:\/\/web1".*ssh:\/\/\[user@\]host/);

    const local = await remote(['add', 'x', '--schedule', '* * * * *', '--', 'true']);
    expect(local.code).toBe(2);
    // Issue 30: the port and the home kept, quoted to work as pasted.
    expect(local.stderr).toContain(`\`jobctl add\` works on this host's files, not over --host; run it there: ssh -p ${sshd.port} root@127.0.0.1 'jobctl --home ${home} add x --schedule`);
  }, 90_000);

  it('the TUI runs against the far daemon (tmux), acts on it, and reconnects after a drop', async () => {
    tmux.open('rtui', 100, 30, `${process.execPath} ${CLI} --host ${url} tui`, sshd.env);
    await waitFor(() => /worker\s+running\s+2\/2/.test(screen('rtui')), 20_000, 'remote worker running on screen');
    tmux('send-keys', '-t', 'rtui', 'j');
    await waitFor(() => /› worker/.test(screen('rtui')), 5000, 'worker selected');
    await waitFor(() => /\[out\] working [01]/.test(screen('rtui')), 10_000, 'live log over ssh');
    tmux('send-keys', '-t', 'rtui', 'x');
    await waitFor(() => screen('rtui').includes('stop worker? [y/N]'), 5000, 'confirm');
    tmux('send-keys', '-t', 'rtui', 'y');
    await waitFor(() => /› worker\s+stopped\s+0\/2/.test(screen('rtui')), 15_000, 'stopped on screen');
    expect((await jobctl(['status', 'worker'], { home })).stdout).toMatch(/worker\s+app\s+service\s+stopped\s+0\/2/);
    // the ssh session drops: the TUI says so, then reconnects by itself
    for (const pid of bridges()) process.kill(pid, 'SIGKILL');
    await waitFor(() => /not reachable/.test(screen('rtui')), 10_000, 'disconnected banner');
    await waitFor(() => !/not reachable/.test(screen('rtui')) && /worker\s+stopped/.test(screen('rtui')), 20_000, 'reconnected');
    tmux('send-keys', '-t', 'rtui', 's');
    await waitFor(() => /› worker\s+running\s+2\/2/.test(screen('rtui')), 15_000, 'started from the reconnected TUI');
    tmux('send-keys', '-t', 'rtui', 'q');
    await waitFor(() => !tmux('list-sessions', '-F', '#{session_name}').includes('rtui'), 5000, 'tui quit').catch(() => undefined);
  }, 90_000);

  it('jobctl --host … down stops the far daemon and waits until it is gone', async () => {
    const daemonPid = JSON.parse((await remote(['status', '--json'])).stdout).daemon.pid as number;
    const r = await remote(['down'], 60_000);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`jobctl daemon stopped (pid ${daemonPid})`);
    expect(fs.existsSync(`/proc/${daemonPid}/cmdline`) && fs.readFileSync(`/proc/${daemonPid}/stat`, 'utf8').split(' ')[2] !== 'Z').toBe(false);
  }, 90_000);
});
