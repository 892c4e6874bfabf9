import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { JobctlClient } from '../../src/api/client.js';
import { homePaths } from '../../src/shared/paths.js';
import type { TaskStatus } from '../../src/shared/protocol.js';
import { jobctl } from '../helpers/cli.js';
import { cleanupDaemons, makeHome, processesOfHome, startTestDaemon } from '../helpers/daemon.js';
import { livePids, waitFor } from '../helpers/wait.js';
import { PROTOCOL } from '../../src/shared/protocol.js';

afterEach(async () => {
  expect(await cleanupDaemons()).toEqual([]);
});

const TWO_WORKERS = `tasks:
  alpha:
    command: sleep 1000
    start_seconds: 100ms
  beta:
    command: sleep 1000
    start_seconds: 100ms
`;

async function status(c: JobctlClient): Promise<Record<string, TaskStatus>> {
  const s = await c.call('status', {});
  return Object.fromEntries(s.tasks.map((t) => [t.name, t]));
}

/** Send raw bytes, collect reply lines until `count` arrive. */
function raw(socket: string, payload: string | Buffer, count: number, timeoutMs = 20_000): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const s = net.createConnection(socket);
    let buf = '';
    const lines: string[] = [];
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`got ${lines.length}/${count} replies: ${lines.join(' | ')}`));
    }, timeoutMs);
    s.on('data', (d) => {
      buf += d.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) !== -1) {
        lines.push(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
      if (lines.length >= count) {
        clearTimeout(timer);
        s.destroy();
        resolve(lines);
      }
    });
    s.on('error', reject);
    s.write(payload);
  });
}

describe('daemon end to end', () => {
  it('applies an edited file within 1 s, restarting only the changed task', async () => {
    const home = makeHome({ 'tasks/app.yaml': TWO_WORKERS });
    const d = await startTestDaemon(home);
    const c = await d.client();
    await waitFor(async () => Object.values(await status(c)).every((t) => t.state === 'running'), 5000, 'running');
    const before = await status(c);
    const t0 = Date.now();
    fs.writeFileSync(path.join(home, 'tasks/app.yaml'), TWO_WORKERS.replace('beta:\n    command: sleep 1000', 'beta:\n    command: sleep 2000'));
    await waitFor(async () => {
      const s = await status(c);
      return s.beta!.instances![0]!.pid !== before.beta!.instances![0]!.pid && s.beta!.state === 'running';
    }, 3000, 'beta restarted');
    const took = Date.now() - t0;
    const after = await status(c);
    expect(after.alpha!.instances![0]!.pid).toBe(before.alpha!.instances![0]!.pid);
    // Applied on save, not at some later poll (a generous guard; the reload latency is a bench figure).
    expect(took).toBeLessThan(10_000);
    expect(d.output()).toMatch(/reload: 0 added, 0 removed, 1 changed \(~beta\)/);
    c.close();
  });

  it('keeps the old tasks running when a file breaks, and reports the error until it is fixed', async () => {
    const home = makeHome({ 'tasks/app.yaml': TWO_WORKERS });
    const d = await startTestDaemon(home);
    const c = await d.client();
    await waitFor(async () => (await status(c)).alpha!.state === 'running', 5000, 'running');
    const pid = (await status(c)).alpha!.instances![0]!.pid;
    fs.writeFileSync(path.join(home, 'tasks/app.yaml'), 'tasks:\n  alpha:\n    comand: oops\n');
    await waitFor(async () => (await c.call('status', {})).daemon.configErrors.length > 0, 3000, 'config error');
    const s = await c.call('status', {});
    expect(s.daemon.configErrors[0]).toMatchObject({ file: 'tasks/app.yaml', line: 2, col: 3, task: 'alpha', message: 'command: is required' });
    expect(s.tasks.map((t) => [t.name, t.state])).toEqual([['alpha', 'running'], ['beta', 'running']]);
    expect(s.tasks[0]!.instances![0]!.pid).toBe(pid);
    const cli = await jobctl(['status'], { home });
    expect(cli.stdout).toContain('tasks/app.yaml:2:3 task "alpha": command: is required');
    // fixed: the error goes, the tasks are what the file says
    fs.writeFileSync(path.join(home, 'tasks/app.yaml'), TWO_WORKERS);
    await waitFor(async () => (await c.call('status', {})).daemon.configErrors.length === 0, 3000, 'error cleared');
    c.close();
  });

  it('without the watcher (JOBCTL_NO_WATCH), SIGHUP and `jobctl reload` apply changes on demand; plan shows them first', async () => {
    const home = makeHome({ 'tasks/app.yaml': TWO_WORKERS });
    const d = await startTestDaemon(home, { JOBCTL_NO_WATCH: '1' });
    fs.writeFileSync(path.join(home, 'tasks/more.yaml'), 'tasks:\n  gamma:\n    command: sleep 1000\n');
    // A lower bound, kept on purpose: nothing applies the save by itself (load only weakens it).
    await new Promise((r) => setTimeout(r, 500));
    expect((await jobctl(['status', 'gamma'], { home })).code).toBe(1); // not applied on save
    expect((await jobctl(['plan'], { home })).stdout).toBe('+ gamma  (start)\n2 unchanged');
    d.child.kill('SIGHUP');
    await waitFor(async () => (await jobctl(['status', 'gamma'], { home })).code === 0, 3000, 'SIGHUP applied');
    fs.rmSync(path.join(home, 'tasks/more.yaml'));
    const r = await jobctl(['reload'], { home });
    expect(r).toMatchObject({ code: 0, stdout: '- gamma  (stop and remove)\n2 unchanged' });
    expect((await jobctl(['status', 'gamma'], { home })).code).toBe(1);
  });

  it('adds and removes tasks as files change', async () => {
    const home = makeHome({ 'tasks/app.yaml': TWO_WORKERS });
    const d = await startTestDaemon(home);
    const c = await d.client();
    fs.writeFileSync(path.join(home, 'tasks/more.yaml'), 'tasks:\n  gamma:\n    command: sleep 1000\n');
    await waitFor(async () => (await status(c)).gamma?.state === 'starting' || (await status(c)).gamma?.state === 'running', 3000, 'gamma added');
    const gammaPid = (await status(c)).gamma!.instances![0]!.pid!;
    fs.rmSync(path.join(home, 'tasks/more.yaml'));
    await waitFor(async () => !(await status(c)).gamma, 3000, 'gamma removed');
    expect(livePids(gammaPid)).toEqual([]);
    c.close();
  });

  it('plan and reload from the command line', async () => {
    const home = makeHome({ 'tasks/app.yaml': TWO_WORKERS });
    const d = await startTestDaemon(home);
    // The watcher would apply the change: write where it does not look, then move it in without waiting.
    void d;
    const r1 = await jobctl(['plan'], { home });
    expect(r1.stdout).toBe('no changes: the daemon runs what tasks/ says\n2 unchanged');
    const r2 = await jobctl(['plan', '--json'], { home });
    expect(JSON.parse(r2.stdout)).toEqual({ added: [], removed: [], changed: [], unchanged: 2, errors: [], keptFiles: [] });
    const r3 = await jobctl(['reload'], { home });
    expect(r3.code).toBe(0);
    expect(r3.stdout).toBe('nothing to change\n2 unchanged');
  });

  it('socket is 0600 in a 0700 directory', async () => {
    const home = makeHome({ 'tasks/app.yaml': TWO_WORKERS });
    await startTestDaemon(home);
    const p = homePaths(home);
    expect(fs.statSync(p.socket).mode & 0o777).toBe(0o600);
    expect(fs.statSync(p.state).mode & 0o777).toBe(0o700);
  });

  it('answers 20 garbage requests with errors and keeps serving', async () => {
    const home = makeHome({ 'tasks/app.yaml': TWO_WORKERS });
    const d = await startTestDaemon(home);
    const garbage = [
      'not json', '{', '[]', '42', '"str"', 'null', '{}', '{"id":1}', '{"id":2,"method":"nope"}', '{"id":3,"method":"stauts"}',
      '{"id":4,"method":"status","params":{"target":5}}', '{"id":5,"method":"start","params":{}}', '{"id":6,"method":"logs","params":{"task":"alpha","lines":-1}}',
      '{"id":7,"method":"kill","params":{"task":"alpha","signal":"SIGNOPE"}}', '{"id":8,"method":"status","params":{"extra":1}}',
      '{"id":9,"method":"history","params":{"task":"alpha"}}', '{"id":10,"method":"start","params":{"target":"@nogroup"}}',
      '{"id":{},"method":"hello"}', '\u0000\u0001\u0002', '{"id":11,"method":"logs","params":{"task":"nope"}}',
    ];
    const replies = (await raw(d.socket, garbage.join('\n') + '\n', garbage.length)).map((l) => JSON.parse(l));
    expect(replies).toHaveLength(20);
    for (const r of replies) expect(r.error?.code).toMatch(/^(BAD_REQUEST|UNKNOWN_METHOD|NOT_FOUND|WRONG_KIND)$/);
    // Replies carry the request id; async handlers may answer out of order.
    const byId = (id: number) => replies.find((r) => r.id === id)!;
    expect(byId(3).error.message).toBe('unknown method "stauts" (did you mean "status"?)');
    expect(byId(10).error).toMatchObject({ code: 'NOT_FOUND', message: 'no group "nogroup"; groups are task file names: app' });
    expect(byId(9).error.code).toBe('WRONG_KIND');
    expect(byId(7).error.message).toBe('unknown signal "SIGNOPE"; use e.g. SIGTERM, SIGKILL, SIGHUP, SIGUSR1');
    expect(replies.filter((r) => r.id === null)).toHaveLength(9);
    // an oversized line
    const huge = await raw(d.socket, `{"id":1,"method":"hello","params":{"client":"${'x'.repeat(1_100_000)}"}}\n{"id":2,"method":"hello"}\n`, 2);
    expect(JSON.parse(huge[0]!).error.message).toMatch(/larger than 1048576 bytes/);
    expect(JSON.parse(huge[1]!).result.protocol).toBe(PROTOCOL);
    const c = await d.client();
    expect((await c.call('hello', {})).pid).toBe(d.pid);
    c.close();
  });

  it('serves 50 concurrent clients', async () => {
    const home = makeHome({ 'tasks/app.yaml': TWO_WORKERS });
    const d = await startTestDaemon(home);
    const results = await Promise.all(Array.from({ length: 50 }, async () => {
      const c = await d.client();
      try {
        const [h, s] = await Promise.all([c.call('hello', {}), c.call('status', {})]);
        return h.pid === d.pid && s.tasks.length === 2;
      } finally {
        c.close();
      }
    }));
    expect(results.every(Boolean)).toBe(true);
  });

  it('a client that vanishes while following logs costs nothing', async () => {
    const home = makeHome({ 'tasks/app.yaml': 'tasks:\n  chatty:\n    command: while true; do echo tick; sleep 0.01; done\n' });
    const d = await startTestDaemon(home);
    for (let i = 0; i < 5; i++) {
      const c = await d.client();
      await c.call('logs', { task: 'chatty', follow: true });
      c.close();
    }
    const c = await d.client();
    expect((await c.call('status', {})).tasks[0]!.state).toMatch(/starting|running/);
    c.close();
  });

  it('refuses a second daemon for the same home with a clear error', async () => {
    const home = makeHome({ 'tasks/app.yaml': TWO_WORKERS });
    const d = await startTestDaemon(home);
    const second = await jobctl(['daemon'], { home });
    expect(second.code).toBe(1);
    expect(second.stderr).toBe(`jobctl daemon: a daemon is already running for this home (pid ${d.pid}); stop it with \`jobctl down\``);
    const up = await jobctl(['up'], { home });
    expect(up.stdout).toBe(`jobctl daemon already running (pid ${d.pid}, home ${home})`);
  });

  it('after kill -9 of the daemon no task process survives the next up; stale pid file and socket are cleaned', async () => {
    const home = makeHome({
      'tasks/app.yaml': `tasks:
  stubborn:
    command: ${path.resolve(import.meta.dirname, '../fixtures/ignore-term.sh')}
    start_seconds: 100ms
    stop_timeout: 500ms
  plain:
    command: [sleep, "1000"]
`,
    });
    const d = await startTestDaemon(home);
    const c = await d.client();
    await waitFor(async () => (await status(c)).stubborn!.state === 'running', 5000, 'running');
    const s = await status(c);
    const groups = [s.stubborn!.instances![0]!.pid!, s.plain!.instances![0]!.pid!];
    c.close();
    d.child.kill('SIGKILL');
    await new Promise((r) => d.child.once('exit', r));
    // pdeathsig took the exec'd one; the TERM-ignoring group survives until the next daemon sweeps it
    await waitFor(() => livePids(groups[1]!).length === 0, 3000, 'plain gone by pdeathsig');
    expect(livePids(groups[0]!).length).toBeGreaterThan(0);
    expect(fs.existsSync(homePaths(home).pidFile)).toBe(true);
    const up = await jobctl(['up'], { home });
    expect(up.code).toBe(0);
    for (const g of groups) expect(livePids(g)).toEqual([]);
    const down = await jobctl(['down'], { home });
    expect(down.code).toBe(0);
    expect(fs.readFileSync(homePaths(home).daemonLog, 'utf8')).toMatch(/stopped \d+ process\(es\) left by a previous daemon/);
  });

  it('SIGTERM stops every task and leaves nothing behind; db.json is flushed and the socket removed', async () => {
    const home = makeHome({ 'tasks/app.yaml': TWO_WORKERS + '  tick:\n    schedule: "* * * * * *"\n    command: echo tick\n' });
    const d = await startTestDaemon(home);
    const c = await d.client();
    await waitFor(async () => (await status(c)).tick!.lastRun !== undefined, 5000, 'a cron run');
    c.close();
    expect(processesOfHome(home).length).toBeGreaterThan(1);
    expect(await d.stop()).toBe(0);
    expect(processesOfHome(home)).toEqual([]);
    const p = homePaths(home);
    expect(fs.existsSync(p.socket)).toBe(false);
    expect(fs.existsSync(p.pidFile)).toBe(false);
    expect(JSON.parse(fs.readFileSync(p.db, 'utf8')).lastScheduled.tick).toBeGreaterThan(0);
    expect(fs.readFileSync(p.children, 'utf8')).toBe(''); // every child forgotten: nothing to sweep
    expect(fs.readFileSync(path.join(p.runs, 'tick.jsonl'), 'utf8').trim().split('\n').length).toBeGreaterThan(0);
  });

  it('down --now kills at once instead of waiting for stop_timeout', async () => {
    const home = makeHome({ 'tasks/app.yaml': `tasks:\n  stubborn:\n    command: ${path.resolve(import.meta.dirname, '../fixtures/ignore-term.sh')}\n    stop_timeout: 30s\n` });
    await startTestDaemon(home);
    await waitFor(() => processesOfHome(home).length >= 4, 5000, 'processes up');
    const t0 = Date.now();
    const down = await jobctl(['down', '--now'], { home });
    expect(down.code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(20_000); // not the 30 s stop_timeout
    expect(processesOfHome(home)).toEqual([]);
  });

  it('while it stops, status still lists the tasks (stopping) and commands answer SHUTTING_DOWN, not NOT_FOUND', async () => {
    const home = makeHome({ 'tasks/app.yaml': `tasks:
  stubborn:
    command: ${path.resolve(import.meta.dirname, '../fixtures/ignore-term.sh')}
    stop_timeout: 3s
  pool:
    command: exec sleep 1000
  tick:
    schedule: "0 0 1 1 *"
    command: echo tick
` });
    const d = await startTestDaemon(home);
    const c = await d.client();
    try {
      await waitFor(async () => (await status(c)).stubborn!.running === 1, 5000, 'stubborn running');
      await c.call('shutdown', {});
      const s = await waitFor(async () => {
        const t = await status(c);
        return t.stubborn?.instances?.[0]?.state === 'stopping' ? t : undefined;
      }, 5000, 'stubborn stopping') as Record<string, TaskStatus>;
      expect(Object.keys(s).sort()).toEqual(['pool', 'stubborn', 'tick']);
      const codeOf = (p: Promise<unknown>) => p.then(() => 'ok', (e: { code?: string }) => e.code);
      expect(await codeOf(c.call('start', { target: 'pool' }))).toBe('SHUTTING_DOWN');
      expect(await codeOf(c.call('run', { task: 'tick' }))).toBe('SHUTTING_DOWN');
      expect(await codeOf(c.call('scale', { task: 'stubborn', count: 2 }))).toBe('SHUTTING_DOWN');
      expect(await codeOf(c.call('restart', { target: 'stubborn', rolling: true }))).toBe('SHUTTING_DOWN');
      expect(await codeOf(c.call('reload', {}))).toBe('SHUTTING_DOWN');
    } finally {
      c.close();
    }
    expect(await d.stop()).toBe(0);
    // The count asked for during the shutdown was not kept for the next start.
    expect(JSON.stringify(JSON.parse(fs.readFileSync(homePaths(home).db, 'utf8')))).not.toMatch(/"stubborn":2/);
  }, 30_000);

  it('down --now during a graceful down kills at once instead of waiting for stop_timeout', async () => {
    const home = makeHome({ 'tasks/app.yaml': `tasks:\n  stubborn:\n    command: ${path.resolve(import.meta.dirname, '../fixtures/ignore-term.sh')}\n    stop_timeout: 30s\n` });
    const d = await startTestDaemon(home);
    await waitFor(() => processesOfHome(home).length >= 4, 5000, 'processes up');
    const c = await d.client();
    await c.call('shutdown', {});
    await waitFor(() => /shutting down: stopping/.test(d.output()), 5000, 'the graceful stop under way');
    c.close();
    const t0 = Date.now();
    const down = await jobctl(['down', '--now'], { home, timeoutMs: 40_000 });
    expect(down.code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(20_000); // not the 30 s stop_timeout
    expect(processesOfHome(home)).toEqual([]);
  }, 60_000);

  it('commands say plainly when no daemon runs', async () => {
    const home = makeHome({ 'tasks/app.yaml': TWO_WORKERS });
    const r = await jobctl(['reload'], { home });
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(`jobctl: daemon not running for home ${home} (from $JOBCTL_HOME): start it with \`jobctl up\` (or \`jobctl daemon\` in the foreground)`);
  });
});
