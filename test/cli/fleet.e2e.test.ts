import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, jobctl } from '../helpers/cli.js';
import { cleanupDaemons, makeHome, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { hasSshd, startSshd, type TestSshd } from '../helpers/sshd.js';
import { tempDir, writeFiles } from '../helpers/temp.js';
import { privateTmux } from '../helpers/tmux.js';
import { waitFor } from '../helpers/wait.js';

/**
 * A fleet on this machine: one task repo (git) cloned into the tasks/ of three homes with
 * different labels, two reached over a real sshd and one `local`; a fourth home whose
 * daemon is stopped, and a "host" that accepts TCP and never speaks. `hosts:` picks what
 * each daemon runs; `jobctl fleet …` drives them all.
 */
const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=jobctl test', '-c', 'user.email=test@jobctl.invalid', '-c', 'init.defaultBranch=main', ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

const REPO = {
  'app.yaml': `tasks:
  everywhere:
    command: while true; do echo "everywhere $JOBCTL_HOME_LABEL"; sleep 0.3; done
    start_seconds: 200ms
  webworker:
    hosts: [web]
    command: while true; do echo web; sleep 0.5; done
    start_seconds: 200ms
  eu-only:
    hosts: [eu]
    command: sleep 1000
    start_seconds: 200ms
  dbjob:
    hosts: [db, "no-such-host-*"]
    schedule: "0 0 1 1 *"
    command: echo "db job ran"
`,
};

let sshd: TestSshd;
let work: { dir: string; cleanup: () => void };
let origin: string;
let editor: string;
const homes: Record<string, string> = {};
const daemons: Record<string, TestDaemon> = {};
let silent: net.Server;
let silentPort: number;
let fleetAll: string;
let fleetUp: string;
const tmux = privateTmux('fleet');
const screen = tmux.screen;

const fleet = (file: string, args: string[], timeoutMs = 60_000) => jobctl(['fleet', ...args, '--fleet', file], { env: sshd.env, timeoutMs, cwd: '/' });
const names = async (home: string) => ((JSON.parse((await jobctl(['status', '--json'], { home })).stdout) as { tasks: Array<{ name: string }> }).tasks).map((t) => t.name).sort();

beforeAll(async () => {
  if (!hasSshd) return;
  sshd = await startSshd();
  work = tempDir('jobctl-fleet-');
  origin = path.join(work.dir, 'origin.git');
  editor = path.join(work.dir, 'editor');
  git(work.dir, 'init', '-q', '--bare', origin);
  git(work.dir, 'clone', '-q', origin, editor);
  writeFiles(editor, REPO);
  git(editor, 'add', '.');
  git(editor, 'commit', '-q', '-m', 'tasks');
  git(editor, 'push', '-q', 'origin', 'HEAD:main');
  const labels: Record<string, string> = { h1: '[web, eu]', h2: '[web]', h3: '[db]', h4: '[db]' };
  for (const h of Object.keys(labels)) {
    homes[h] = makeHome({ 'jobctl.yaml': `labels: ${labels[h]}\n` });
    fs.rmSync(path.join(homes[h]!, 'tasks'), { recursive: true });
    git(homes[h]!, 'clone', '-q', '-b', 'main', origin, 'tasks');
  }
  for (const h of ['h1', 'h2', 'h3']) daemons[h] = await startTestDaemon(homes[h]!, { JOBCTL_HOME_LABEL: h });
  // accepts connections and never answers: ssh waits for a banner forever
  silent = net.createServer(() => undefined);
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
  silentPort = (silent.address() as net.AddressInfo).port;
  const up = `  h1: {address: "${sshd.url(homes.h1)}", labels: [web, eu]}\n  h2: {address: "${sshd.url(homes.h2)}", labels: [web]}\n  h3: {address: "local:${homes.h3}", labels: [db]}\n`;
  fleetUp = path.join(work.dir, 'fleet-up.yaml');
  fs.writeFileSync(fleetUp, `timeout: 10s\nhosts:\n${up}`);
  fleetAll = path.join(work.dir, 'fleet.yaml');
  fs.writeFileSync(fleetAll, `timeout: 8s\nhosts:\n${up}  h4: {address: "${sshd.url(homes.h4)}", labels: [db]}\n  silent: "ssh://root@127.0.0.1:${silentPort}/x"\n`);
}, 120_000);

afterAll(async () => {
  tmux.close();
  silent?.close();
  expect(await cleanupDaemons()).toEqual([]);
  await sshd?.stop();
  work?.cleanup();
});

describe.runIf(hasSshd)('one task repo, many hosts (hosts: selectors)', () => {
  it('each daemon runs only the tasks that select it (labels in jobctl.yaml)', async () => {
    expect(await names(homes.h1!)).toEqual(['eu-only', 'everywhere', 'webworker']);
    expect(await names(homes.h2!)).toEqual(['everywhere', 'webworker']);
    expect(await names(homes.h3!)).toEqual(['dbjob', 'everywhere']);
  }, 120_000);

  it('status --all-hosts and plan list the others as "not for this host"', async () => {
    const s = await jobctl(['status', '--all-hosts'], { home: homes.h3! });
    expect(s.stdout).toMatch(/not for this host \(this host: .*db\):/);
    expect(s.stdout).toMatch(/eu-only\s+app\s+service\s+not for this host\s+hosts: eu/);
    expect(s.stdout).toMatch(/webworker\s+app\s+service\s+not for this host\s+hosts: web/);
    expect((await jobctl(['status'], { home: homes.h3! })).stdout).not.toContain('webworker');
    const plan = await jobctl(['plan'], { home: homes.h2! });
    expect(plan.stdout).toContain('· dbjob  (not for this host: hosts db, no-such-host-*)');
    expect(plan.stdout).toContain('· eu-only  (not for this host: hosts eu)');
  }, 120_000);

  it('a label added to jobctl.yaml brings its tasks in live; removed, they go', async () => {
    fs.writeFileSync(path.join(homes.h2!, 'jobctl.yaml'), 'labels: [web, eu]\n');
    await waitFor(async () => (await names(homes.h2!)).includes('eu-only'), 15_000, 'eu-only on h2');
    fs.writeFileSync(path.join(homes.h2!, 'jobctl.yaml'), 'labels: [web]\n');
    await waitFor(async () => !(await names(homes.h2!)).includes('eu-only'), 15_000, 'eu-only gone from h2');
  }, 120_000);
});

describe.runIf(hasSshd)('jobctl fleet', () => {
  it('fleet status: one table with a HOST column; a stopped daemon and a silent host are rows that say why, within the timeout', async () => {
    const t0 = Date.now();
    const r = await fleet(fleetAll, ['status']);
    const took = Date.now() - t0;
    expect(took).toBeLessThan(8000 + 30_000); // the per-host timeout, not a hang (a generous guard: under load each ssh and node start takes seconds)
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/^HOST\s+TASK\s+GROUP\s+KIND\s+STATE/m);
    expect(r.stdout).toMatch(/^h1\s+everywhere\s+app\s+service\s+running/m);
    expect(r.stdout).toMatch(/^h1\s+webworker\s+app\s+service\s+running/m);
    expect(r.stdout).toMatch(/^h2\s+webworker\s+app\s+service\s+running/m);
    expect(r.stdout).toMatch(/^h3\s+dbjob\s+app\s+cron\s+scheduled/m);
    expect(r.stdout).toMatch(/^h4\s+unreachable: .*daemon not running: start it with `jobctl up`/m);
    expect(r.stdout).toMatch(/^silent\s+unreachable: no answer within 8000ms$/m);
    expect(r.stdout).toMatch(/3\/5 host\(s\) answered$/);

    const json = JSON.parse((await fleet(fleetAll, ['status', '--json', '--timeout', '20s'])).stdout) as { hosts: Array<{ host: string; ok: boolean; code?: string }>; tasks: Array<{ host: string; name: string }> };
    expect(json.hosts.map((h) => [h.host, h.ok])).toEqual([['h1', true], ['h2', true], ['h3', true], ['h4', false], ['silent', false]]);
    expect(json.hosts.find((h) => h.host === 'silent')!.code).toBe('TIMEOUT');
    expect(json.tasks.filter((t) => t.name === 'everywhere').map((t) => t.host)).toEqual(['h1', 'h2', 'h3']);

    const ok = await fleet(fleetUp, ['status']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/3\/3 host\(s\) answered$/);
  }, 120_000);

  it('start/stop/restart/run take host:task, label:task, host:@group and a bare task', async () => {
    const stop = await fleet(fleetUp, ['stop', 'h1:webworker']);
    expect(stop.code).toBe(0);
    expect(stop.stdout).toBe('h1: webworker: stopped (0/1 running)');
    expect((await jobctl(['status', 'webworker'], { home: homes.h2! })).stdout).toMatch(/webworker\s+app\s+service\s+running/);

    const byLabel = await fleet(fleetUp, ['stop', 'web:webworker']);
    expect(byLabel.stdout.split('\n').sort()).toEqual(['h1: webworker: stopped (0/1 running)', 'h2: webworker: stopped (0/1 running)']);
    const start = await fleet(fleetUp, ['start', 'webworker']);
    // a bare task: every host that has it (h3 does not, and is left out)
    expect(start.stdout.split('\n').sort()).toEqual(['h1: webworker: running (1/1 running)', 'h2: webworker: running (1/1 running)']);
    expect(start.code).toBe(0);

    const group = await fleet(fleetUp, ['restart', 'h2:@app']);
    expect(group.stdout.split('\n').sort()).toEqual(['h2: everywhere: running (1/1 running)', 'h2: webworker: running (1/1 running)']);

    const run = await fleet(fleetUp, ['run', 'dbjob']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^h3: dbjob: run \S+ (running|succeeded)$/);
    await waitFor(async () => (await jobctl(['history', 'dbjob'], { home: homes.h3! })).stdout.includes('succeeded'), 10_000, 'the run on h3');

    const none = await fleet(fleetUp, ['start', 'no-such-task']);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/no host in the fleet has "no-such-task"/);
    const badHost = await fleet(fleetUp, ['start', 'nowhere:webworker']);
    expect(badHost.code).toBe(2);
    expect(badHost.stderr).toMatch(/no host or label "nowhere" in the fleet; hosts: h1, h2, h3; labels: web, eu, db/);
    // with a host down, the exit code says so, and the others still act
    const partial = await fleet(fleetAll, ['restart', 'everywhere']);
    expect(partial.code).toBe(3);
    expect(partial.stdout).toMatch(/^h4: failed: .*daemon not running/m);
    expect(partial.stdout).toMatch(/^h1: everywhere: running/m);
  }, 300_000);

  it('fleet logs prefixes each line with its host; -f follows every host', async () => {
    const r = await fleet(fleetUp, ['logs', 'everywhere', '-n', '2']);
    expect(r.code).toBe(0);
    for (const h of ['h1', 'h2', 'h3']) expect(r.stdout).toMatch(new RegExp(`^${h} \\| \\S+ \\[out\\] everywhere ${h}$`, 'm'));
    const child = spawn(process.execPath, [CLI, 'fleet', 'logs', 'web:webworker', '-f', '-n', '0', '--fleet', fleetUp], { env: { ...process.env, ...sshd.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await waitFor(() => /^h1 \| .*\[out\] web$/m.test(out) && /^h2 \| .*\[out\] web$/m.test(out), 20_000, 'live lines from h1 and h2');
      expect(out).not.toMatch(/^h3/m);
    } finally {
      child.kill('SIGINT');
      await new Promise((r) => (child.exitCode === null ? child.once('exit', r) : r(null)));
    }
  }, 120_000);

  it('fleet sync pulls a new commit on every host (over ssh and locally) and the daemons apply it', async () => {
    const before = git(editor, 'rev-parse', '--short', 'HEAD');
    fs.appendFileSync(path.join(editor, 'app.yaml'), '  synced:\n    command: sleep 1000\n    start_seconds: 200ms\n');
    git(editor, 'commit', '-q', '-am', 'add synced');
    git(editor, 'push', '-q', 'origin', 'HEAD:main');
    const after = git(editor, 'rev-parse', '--short', 'HEAD');
    const r = await fleet(fleetUp, ['sync']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    for (const h of ['h1', 'h2', 'h3']) expect(r.stdout).toMatch(new RegExp(`^${h}\\s+${before} -> ${after}$`, 'm'));
    for (const h of ['h1', 'h2', 'h3']) await waitFor(async () => (await names(homes[h]!)).includes('synced'), 15_000, `synced on ${h}`);
    const again = await fleet(fleetUp, ['sync']);
    expect(again.stdout).toMatch(new RegExp(`^h1\\s+${after} \\(up to date\\)$`, 'm'));
    const json = JSON.parse((await fleet(fleetAll, ['sync', '--json'])).stdout) as Array<{ host: string; ok: boolean; after?: string; error?: string }>;
    // h4's daemon is down but its home is in the address: its repo is pulled all the same
    expect(json.find((x) => x.host === 'h4')).toMatchObject({ ok: true, after });
    expect(json.find((x) => x.host === 'silent')).toMatchObject({ ok: false });
  }, 120_000);

  it('tui --fleet shows every host with a HOST column, filters by host, and acts on the right host', async () => {
    tmux.open('ftui', 120, 40, `${process.execPath} ${CLI} tui --fleet ${fleetUp}`, sshd.env);
    await waitFor(() => /● h1 .*● h2 .*● h3/.test(screen('ftui')), 30_000, 'three hosts connected');
    await waitFor(() => /h3\s+dbjob\s+scheduled/.test(screen('ftui')) && /h1\s+webworker\s+running/.test(screen('ftui')), 15_000, 'rows of every host');
    expect(screen('ftui')).toMatch(/HOST\s+TASK\s+STATE/);
    tmux('send-keys', '-t', 'ftui', 'h', 'h');
    await waitFor(() => /host h2/.test(screen('ftui')) && !/h1\s+webworker/.test(screen('ftui')), 5000, 'only h2');
    // tasks of h2, sorted (everywhere, synced, webworker): move down until webworker is selected
    // (one key at a time, each seen on screen, so a redraw between keys cannot skip a row)
    for (let i = 0; i < 6 && !/› h2\s+webworker/.test(screen('ftui')); i++) {
      const before = screen('ftui');
      tmux('send-keys', '-t', 'ftui', 'j');
      await waitFor(() => screen('ftui') !== before, 3000, 'selection moved').catch(() => undefined);
    }
    await waitFor(() => /› h2\s+webworker/.test(screen('ftui')), 5000, 'h2 webworker selected');
    tmux('send-keys', '-t', 'ftui', 'x');
    await waitFor(() => screen('ftui').includes('stop h2:webworker? [y/N]'), 5000, 'confirm');
    tmux('send-keys', '-t', 'ftui', 'y');
    await waitFor(() => /› h2\s+webworker\s+stopped/.test(screen('ftui')), 15_000, 'stopped on screen');
    expect((await jobctl(['status', 'webworker'], { home: homes.h2! })).stdout).toMatch(/webworker\s+app\s+service\s+stopped/);
    expect((await jobctl(['status', 'webworker'], { home: homes.h1! })).stdout).toMatch(/webworker\s+app\s+service\s+running/);
    tmux('send-keys', '-t', 'ftui', 'q');
  }, 120_000);
});
