import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobctl } from '../helpers/cli.js';
import { cleanupDaemons, makeHome, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

/**
 * The fleet's one timeout rule for the commands that wait for their work (start, stop and
 * restart wait until the task reached its state): a host has the fleet's timeout to be reached
 * and answer, as in `fleet status`; only the work of a host that answered may take longer.
 * A hung host (its socket accepts, nothing answers) is down within the timeout, not 30 s later.
 */
let daemon: TestDaemon;
let silent: net.Server;
/** A home whose socket accepts and never answers: a daemon that hangs. */
let hung: string;
const sockets: net.Socket[] = [];

beforeAll(async () => {
  // Its stop takes ~2 s (the trap), longer than the fleet's 1 s timeout.
  daemon = await startTestDaemon(makeHome({ 'tasks/app.yaml': "tasks:\n  slow:\n    command: trap 'sleep 2; exit 0' TERM; while true; do sleep 0.1; done\n    start_seconds: 100ms\n" }));
  hung = fs.mkdtempSync(path.join(os.tmpdir(), 'jobctl-hung-'));
  fs.mkdirSync(path.join(hung, 'state'), { mode: 0o700 });
  silent = net.createServer((s) => void sockets.push(s));
  await new Promise<void>((r) => silent.listen(path.join(hung, 'state', 'jobctl.sock'), () => r()));
}, 60_000);

afterAll(async () => {
  for (const s of sockets) s.destroy();
  silent?.close();
  expect(await cleanupDaemons()).toEqual([]);
  if (hung) fs.rmSync(hung, { recursive: true, force: true });
});

describe('fleet control with a hung host', () => {
  it('fleet stop: the hung host fails with "no answer within" the timeout; the other host stops, though its stop takes longer', async () => {
    const file = path.join(hung, 'fleet.yaml');
    fs.writeFileSync(file, `timeout: 1s\nhosts:\n  up: "local:${daemon.home}"\n  hung: "local:${hung}"\n`);
    const t0 = Date.now();
    const r = await jobctl(['fleet', 'stop', 'slow', '--fleet', file], { home: daemon.home, timeoutMs: 60_000 });
    const took = Date.now() - t0;
    expect(r.stdout.split('\n').sort()).toEqual(['hung: failed: no answer within 1000ms', 'up: slow: stopped (0/1 running)']);
    expect(r.code).toBe(3);
    // Was 30 s: the hung host had the work's budget to answer at all.
    expect(took).toBeLessThan(15_000);
  }, 90_000);
});
