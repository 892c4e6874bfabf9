import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { listProcesses } from '../../src/runtime/proc.js';
import { CLI, jobctl } from '../helpers/cli.js';
import { cleanupDaemons, makeHome, startTestDaemon } from '../helpers/daemon.js';
import { hasSshd, startSshd, type TestSshd } from '../helpers/sshd.js';
import { waitFor } from '../helpers/wait.js';
import { closeFakePeers, fakePeer } from '../helpers/fake-peer.js';

afterEach(closeFakePeers);

describe('the client does not trust the far side', () => {
  it('a peer that streams an endless line: exit 3 with one line, memory bounded', async () => {
    const home = await fakePeer((socket) => {
      const chunk = 'x'.repeat(64 * 1024);
      const pump = () => {
        while (!socket.destroyed && socket.write(chunk));
        if (!socket.destroyed) socket.once('drain', pump);
      };
      pump();
    });
    const r = await jobctl(['status'], { home, timeoutMs: 30_000 });
    expect(r.code).toBe(3);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/sent a line over 1048576 bytes/);
    expect(r.stderr).not.toMatch(/RangeError|\n\s+at /);
  }, 60_000);

  it('the cap counts bytes, not characters: a 1.2 MB reply of 400,000 three-byte characters is refused', async () => {
    const pad = '€'.repeat(400_000); // 400,000 characters, 1,200,000 bytes in UTF-8
    const home = await fakePeer((socket, req) => {
      const result = req.method === 'hello' ? { protocol: 1, version: '0', pid: 1, home: '/x', pad } : { pad };
      socket.write(`${JSON.stringify({ id: req.id, result })}\n`);
    });
    const r = await jobctl(['status'], { home, timeoutMs: 30_000 });
    expect(r.code).toBe(3);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/sent a line over 1048576 bytes/);
  }, 60_000);

  it('a reply of the wrong shape: exit 3 with one line, no stack trace', async () => {
    const home = await fakePeer((socket, req) => socket.write(`${JSON.stringify({ id: req.id, result: { tasks: 'nope', daemon: null } })}\n`));
    const r = await jobctl(['status'], { home, timeoutMs: 30_000 });
    expect(r.code).toBe(3);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/a reply to "status" with a malformed "tasks"/);
    expect(r.stderr).not.toMatch(/TypeError|\n\s+at /);
  }, 60_000);
});

describe('the client does not trust pushes either', () => {
  it('a push of the wrong shape ({"event":"dropped"} without data): exit 3 with one line, no stack trace', async () => {
    const home = await fakePeer((socket, req) => {
      socket.write(`${JSON.stringify({ event: 'dropped' })}\n`);
      socket.write(`${JSON.stringify({ event: 'log', data: null })}\n`);
      if (req.method !== 'hello') socket.write(`${JSON.stringify({ id: req.id, result: { lines: [], files: [] } })}\n`);
      else socket.write(`${JSON.stringify({ id: req.id, result: { protocol: 1, version: '0', pid: 1, home: '/x' } })}\n`);
    });
    const r = await jobctl(['logs', 'w'], { home, timeoutMs: 30_000 });
    expect(r.stderr).not.toMatch(/TypeError|\n\s+at /);
    expect(r.code).toBe(3);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  }, 60_000);
});

describe.runIf(hasSshd)('a silent ssh link', () => {
  let sshd: TestSshd;
  let home: string;
  beforeAll(async () => {
    sshd = await startSshd();
    home = makeHome({ 'tasks/app.yaml': 'tasks:\n  worker:\n    command: while true; do echo working; sleep 0.3; done\n' });
    farPid = (await startTestDaemon(home)).pid;
  }, 60_000);
  let farPid: number;
  afterAll(async () => {
    expect(await cleanupDaemons()).toEqual([]);
    await sshd?.stop();
  });

  const bridges = () => listProcesses().filter((p) => {
    try {
      const cmd = fs.readFileSync(`/proc/${p.pid}/cmdline`, 'utf8');
      // The far side's bridge, not our own ssh client (whose argv names the same command).
      return cmd.includes('dial-stdio') && cmd.includes(home) && !/(^|\/)ssh$/.test(cmd.split('\0')[0]!);
    } catch {
      return false;
    }
  }).map((p) => p.pid);

  it('status over ssh shows the far home', async () => {
    const r = await jobctl(['--host', sshd.url(home), 'status'], { env: sshd.env, cwd: '/' });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`home ${home} on ssh://`);
  }, 60_000);

  it('status over ssh, run inside another home: the far host, the far home and the far daemon\'s pid', async () => {
    const here = makeHome({ 'tasks/local.yaml': 'tasks: {}\n' });
    const r = await jobctl(['--host', sshd.url(home), 'status'], { env: sshd.env, cwd: here });
    expect(r.code).toBe(0);
    const far = sshd.url().replace(/\/$/, '');
    expect(r.stdout.split('\n')[0]).toMatch(new RegExp(`^home ${home} on ${far.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} · daemon pid ${farPid}, up `));
    expect(r.stdout).not.toContain(here);
  }, 60_000);

  it('logs -f with the far session frozen ends within ~30 s: exit 3, one line', async () => {
    const child = spawn(process.execPath, [CLI, '--host', sshd.url(home), 'logs', 'worker', '-f', '-n', '1'], { env: { ...process.env, ...sshd.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    const frozen: number[] = [];
    try {
      await waitFor(() => out.includes('working'), 20_000, 'live lines over ssh');
      await waitFor(() => bridges().length > 0, 10_000, 'the far side bridge');
      // The far session freezes (a hung host): sshd and TCP stay up, nothing answers.
      for (const pid of bridges()) {
        process.kill(pid, 'SIGSTOP');
        frozen.push(pid);
      }
      const t0 = Date.now();
      const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('hang'), 45_000))]);
      expect({ code, err }).toMatchObject({ code: 3 });
      expect(Date.now() - t0).toBeLessThan(45_000);
      const lines = err.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^jobctl: ended the connection to ssh:\/\/.*: no answer for \d+s: the link is dead$/);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      for (const pid of frozen) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    }
  }, 90_000);
});
