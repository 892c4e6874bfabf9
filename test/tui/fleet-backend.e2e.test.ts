import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobctlClient } from '../../src/api/client.js';
import { FleetBackend } from '../../src/tui/fleet-backend.js';
import { cleanupDaemons, makeHome, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { MIN_WAIT_MS, waitFor } from '../helpers/wait.js';

/**
 * The live fleet views (`tui --fleet`, `web --fleet`) keep the rule `fleet status` has: a host
 * that is reached but does not answer within the fleet's timeout is down and says why, rather
 * than "connecting" for ever; the hosts that answer are shown meanwhile.
 */
let daemon: TestDaemon;
let silent: net.Server;
let dir: string;
const sockets: net.Socket[] = [];

beforeAll(async () => {
  daemon = await startTestDaemon(makeHome({ 'tasks/app.yaml': 'tasks:\n  web:\n    command: exec sleep 600\n    start_seconds: 100ms\n' }));
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobctl-silent-'));
  // Accepts connections and never answers: a daemon that hangs.
  silent = net.createServer((s) => void sockets.push(s));
  await new Promise<void>((r) => silent.listen(path.join(dir, 's.sock'), () => r()));
}, 60_000);

afterAll(async () => {
  for (const s of sockets) s.destroy();
  silent?.close();
  expect(await cleanupDaemons()).toEqual([]);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('fleet views: one timeout rule', () => {
  it('a silent host is down with "no answer within" the fleet timeout; the other host is listed', async () => {
    const backend = new FleetBackend([
      { name: 'up', dial: () => JobctlClient.connect(daemon.socket) },
      { name: 'silent', dial: () => JobctlClient.connect(path.join(dir, 's.sock')) },
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
