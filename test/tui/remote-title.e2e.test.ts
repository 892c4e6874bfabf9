import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/cli.js';
import { cleanupDaemons, makeHome, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { hasSshd, startSshd, type TestSshd } from '../helpers/sshd.js';
import { privateTmux } from '../helpers/tmux.js';
import { hasTool } from '../helpers/tools.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Issue 30: `tui`, `top` and the fleet TUI run in one home and look at another over ssh. Their
 * titles named the local home or pid; they name the host, the far home and the far daemon's pid,
 * and the fleet TUI's detail pane names the selected task's host. A real sshd on 127.0.0.1.
 */

const tmux = privateTmux('remote-title');
/** Wait for a screen; on a timeout, say what it showed. */
const waitScreen = (session: string, ok: (s: string) => boolean, what: string) =>
  waitFor(() => ok(tmux.screen(session)), 30_000, what).catch((e: Error) => {
    throw new Error(`${e.message}; the screen:\n${tmux.screen(session)}`);
  });
/** Run jobctl with these arguments from inside the local home (the variables reach it through sh). */
const inLocalHome = (args: string) => `sh -c 'cd ${local.home} && exec ${process.execPath} ${args}'`;
let sshd: TestSshd;
let far: TestDaemon;
let local: TestDaemon;

beforeAll(async () => {
  if (!hasSshd || !hasTool('tmux')) return;
  sshd = await startSshd();
  far = await startTestDaemon(makeHome({ 'tasks/far.yaml': 'tasks:\n  far-worker:\n    command: exec sleep 1000\n    start_seconds: 100ms\n' }));
  local = await startTestDaemon(makeHome({ 'tasks/near.yaml': 'tasks:\n  near-worker:\n    command: exec sleep 1000\n    start_seconds: 100ms\n' }));
}, 60_000);

afterAll(async () => {
  tmux.close();
  expect(await cleanupDaemons()).toEqual([]);
  await sshd?.stop();
});

describe.runIf(hasSshd && hasTool('tmux'))('titles name the far host, home and pid (tmux, sshd)', () => {
  it('jobctl --host ssh://… tui and top, run inside another home', async () => {
    const host = sshd.url(); // ssh://user@127.0.0.1:port
    const want = `${host} · home ${far.home} · pid ${far.pid}`;
    const env = { ...sshd.env, JOBCTL_HOME: local.home };
    tmux.open('rtui', 160, 30, inLocalHome(`${CLI} --host ${sshd.url(far.home)} tui`), env);
    await waitScreen('rtui', (s) => /far-worker\s+running/.test(s), 'the far task on screen');
    expect(tmux.screen('rtui').split('\n')[0]).toContain(want);
    expect(tmux.screen('rtui')).not.toContain(`pid ${local.pid}`);
    tmux('send-keys', '-t', 'rtui', 'q');

    tmux.open('rtop', 160, 30, inLocalHome(`${CLI} --host ${sshd.url(far.home)} top --refresh 300`), env);
    await waitScreen('rtop', (s) => s.includes(`${host}, home ${far.home}, pid ${far.pid}`), 'the far place in top');
    expect(tmux.screen('rtop')).not.toContain(`pid ${local.pid}`);
    tmux('send-keys', '-t', 'rtop', 'q');
  }, 90_000);

  it('jobctl tui --fleet: no one pid in the title; the detail pane names the host, its home and pid', async () => {
    const file = path.join(local.home, 'fleet.yaml');
    fs.writeFileSync(file, `hosts:\n  h1: "${sshd.url(far.home)}"\n  h2: "local:${local.home}"\n`);
    tmux.open('ftui', 160, 30, inLocalHome(`${CLI} tui --fleet ${file}`), { ...sshd.env, JOBCTL_HOME: local.home });
    await waitScreen('ftui', (s) => /● h1 .*● h2/.test(s) && /h1\s+far-worker\s+running/.test(s), 'both hosts');
    const s = tmux.screen('ftui');
    expect(s.split('\n')[0]).toMatch(/· fleet · 2\/2 hosts\s*$/);
    expect(s.split('\n')[0]).not.toMatch(/pid/);
    // the cursor is on h1's task (hosts sort by name): its host, address, far home and far pid
    expect(s).toContain(`host h1 (${sshd.url(far.home)}) · home ${far.home} · daemon pid ${far.pid}`);
    tmux('send-keys', '-t', 'ftui', 'q');
  }, 90_000);
});
