import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobctlClient } from '../../src/api/client.js';
import { FleetBackend } from '../../src/tui/fleet-backend.js';
import { CLI } from '../helpers/cli.js';
import { cleanupDaemons, makeHome, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { privateTmux } from '../helpers/tmux.js';
import { hasTool } from '../helpers/tools.js';
import { MIN_WAIT_MS, waitFor } from '../helpers/wait.js';

/**
 * The live fleet views (`tui --fleet`, `web --fleet`) keep the rule `fleet status` has: a host
 * that is reached but does not answer within the fleet's timeout is down and says why, rather
 * than "connecting" for ever; the hosts that answer are shown meanwhile.
 */
let daemon: TestDaemon;
let silent: net.Server;
/** A home whose socket accepts and never answers (a hung daemon): `local:<dir>` in a fleet.yaml. */
let dir: string;
let silentSocket: string;
const sockets: net.Socket[] = [];
const tmux = privateTmux('fleet-timeout');

beforeAll(async () => {
  daemon = await startTestDaemon(makeHome({ 'tasks/app.yaml': 'tasks:\n  web:\n    command: exec sleep 600\n    start_seconds: 100ms\n' }));
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobctl-silent-'));
  fs.mkdirSync(path.join(dir, 'state'), { mode: 0o700 });
  silentSocket = path.join(dir, 'state', 'jobctl.sock');
  // Accepts connections and never answers: a daemon that hangs.
  silent = net.createServer((s) => void sockets.push(s));
  await new Promise<void>((r) => silent.listen(silentSocket, () => r()));
}, 60_000);

afterAll(async () => {
  tmux.close();
  for (const s of sockets) s.destroy();
  silent?.close();
  expect(await cleanupDaemons()).toEqual([]);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('fleet views: one timeout rule', () => {
  it('a silent host is down with "no answer within" the fleet timeout; the other host is listed', async () => {
    const backend = new FleetBackend([
      { name: 'up', dial: () => JobctlClient.connect(daemon.socket) },
      { name: 'silent', dial: () => JobctlClient.connect(silentSocket) },
    ], 60_000, 1500);
    const tasks: string[] = [];
    backend.on('snapshot', (s: { tasks: Array<{ host?: string; name: string }> }) => tasks.splice(0, tasks.length, ...s.tasks.map((t) => `${t.host}:${t.name}`)));
    backend.start();
    try {
      const down = await waitFor(() => backend.hosts().find((h) => h.host === 'silent' && h.connection === 'disconnected'), MIN_WAIT_MS, 'the silent host marked down');
      expect(down?.error).toBe('no answer within 1500ms');
      await waitFor(() => tasks.includes('up:web'), MIN_WAIT_MS, 'the answering host listed');
      expect(backend.hosts().find((h) => h.host === 'up')?.connection).toBe('connected');
    } finally {
      backend.close();
    }
  }, 60_000);
});

describe.runIf(hasTool('tmux'))('tui --fleet takes the fleet timeout from --timeout, as fleet status and web --fleet do (tmux)', () => {
  it('jobctl tui --fleet F --timeout 1s: the silent host is down with "no answer within 1000ms"', async () => {
    const file = path.join(dir, 'fleet.yaml');
    fs.writeFileSync(file, `timeout: 30s\nhosts:\n  up: "local:${daemon.home}"\n  silent: "local:${dir}"\n`);
    tmux.open('ftimeout', 120, 20, `${process.execPath} ${CLI} tui --fleet ${file} --timeout 1s`);
    await waitFor(() => /silent: no answer within 1000ms/.test(tmux.screen('ftimeout')) && /up\s+web\s+running/.test(tmux.screen('ftimeout')), 20_000, 'the silent host down after 1s, the other listed')
      .catch((e: Error) => {
        throw new Error(`${e.message}; the screen:\n${tmux.screen('ftimeout')}`);
      });
    tmux('send-keys', '-t', 'ftimeout', 'q');
  }, 60_000);

  it('a host that hangs after the view connected is down within the timeout (a ping gets no answer), and back when it answers', async () => {
    const frozen = await startTestDaemon(makeHome({ 'tasks/f.yaml': 'tasks:\n  f:\n    command: exec sleep 600\n    start_seconds: 100ms\n' }));
    const file = path.join(dir, 'fleet-frozen.yaml');
    fs.writeFileSync(file, `hosts:\n  up: "local:${daemon.home}"\n  frozen: "local:${frozen.home}"\n`);
    const screen = (ok: (s: string) => boolean, what: string) => waitFor(() => ok(tmux.screen('frozen')), 20_000, what).catch((e: Error) => {
      throw new Error(`${e.message}; the screen:\n${tmux.screen('frozen')}`);
    });
    tmux.open('frozen', 120, 20, `${process.execPath} ${CLI} tui --fleet ${file} --timeout 1s`);
    await screen((s) => /● frozen/.test(s) && /frozen\s+f\s+running/.test(s), 'both hosts connected');
    process.kill(frozen.pid, 'SIGSTOP');
    try {
      // Was "● frozen" with its tasks for ever (a local socket had no ping).
      await screen((s) => /✗ frozen/.test(s) && !/frozen\s+f\s+running/.test(s), 'the frozen host down');
    } finally {
      process.kill(frozen.pid, 'SIGCONT');
    }
    await screen((s) => /● frozen/.test(s) && /frozen\s+f\s+running/.test(s), 'the host back once it answers');
    tmux('send-keys', '-t', 'frozen', 'q');
  }, 90_000);
});
