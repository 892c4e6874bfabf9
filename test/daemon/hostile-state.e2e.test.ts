import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { JobctlClient } from '../../src/api/client.js';
import { homePaths } from '../../src/shared/paths.js';
import { CLI, jobctl } from '../helpers/cli.js';
import { makeHome, removeTestHomes } from '../helpers/daemon.js';
import { waitFor } from '../helpers/wait.js';

interface Detached {
  child: ChildProcess;
  out: () => string;
  exited: Promise<number | null>;
}

const daemons: Detached[] = [];

afterEach(async () => {
  for (const d of daemons.splice(0)) {
    if (d.child.exitCode === null && d.child.signalCode === null) {
      d.child.kill('SIGTERM');
      await d.exited;
    }
  }
  removeTestHomes();
});

/** A daemon in a process group of its own: a daemon that signals its own group cannot hit the test runner. */
async function startDetached(home: string): Promise<Detached> {
  let out = '';
  const child = spawn(process.execPath, [CLI, 'daemon'], { env: { ...process.env, JOBCTL_HOME: home, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const d: Detached = { child, out: () => out, exited: new Promise((r) => child.once('exit', (c) => r(c))) };
  daemons.push(d);
  return d;
}

async function connectTo(d: Detached, socket: string): Promise<JobctlClient> {
  const c = await waitFor(async () => {
    if (d.child.exitCode !== null || d.child.signalCode !== null) throw new Error(`daemon exited (${d.child.exitCode ?? d.child.signalCode}): ${d.out()}`);
    return JobctlClient.connect(socket, { connectTimeoutMs: 500 }).catch(() => undefined);
  }, 20_000, 'the daemon to answer');
  return c!;
}

describe('a hostile or damaged state/', () => {
  it('item 4: a journal record with pid/pgid 0 or 1 is skipped with a warning; the daemon starts and runs its task', async () => {
    const home = makeHome({ 'tasks/app.yaml': 'tasks:\n  w:\n    command: sleep 300\n' });
    const paths = homePaths(home);
    fs.mkdirSync(paths.state, { recursive: true, mode: 0o700 });
    fs.writeFileSync(paths.children, [
      JSON.stringify({ op: 'add', key: 'w/0', child: { pid: 0, pgid: 0, startTime: 0, task: 'w' } }),
      JSON.stringify({ op: 'add', key: 'w/1', child: { pid: 1, pgid: 1, startTime: 0, task: 'w' } }),
    ].join('\n') + '\n');
    const d = await startDetached(home);
    const client = await connectTo(d, paths.socket);
    const running = await waitFor(async () => {
      const s = await client.call('status', {});
      return s.tasks.find((t) => t.name === 'w' && t.state === 'running');
    }, 20_000, 'w running');
    client.close();
    expect(running?.name).toBe('w');
    expect(d.child.exitCode).toBeNull();
    expect(d.out()).toMatch(/skipped the record of w\/0 \(pid 0 is not a child's\)/);
    expect(d.out()).toMatch(/skipped the record of w\/1 \(pid 1 is not a child's\)/);
  }, 60_000);

  it('a forged record of a leaderless process group with start time 0 is skipped with a warning; the group lives', async () => {
    // A group whose leader is gone: a shell that started a sleep and exited. Not the daemon's.
    const sh = spawn('sh', ['-c', 'sleep 300 & echo $!'], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
    const pgid = sh.pid!;
    const sleeper = await new Promise<number>((r) => sh.stdout!.once('data', (b: Buffer) => r(Number(b.toString().trim()))));
    try {
      await waitFor(() => !fs.existsSync(`/proc/${pgid}`) || fs.readFileSync(`/proc/${pgid}/stat`, 'utf8').includes(') Z'), 10_000, 'the leader gone');
      const home = makeHome({ 'tasks/app.yaml': 'tasks:\n  w:\n    command: sleep 300\n' });
      const paths = homePaths(home);
      fs.mkdirSync(paths.state, { recursive: true, mode: 0o700 });
      fs.writeFileSync(paths.children, `${JSON.stringify({ op: 'add', key: 'w/0', child: { pid: pgid, pgid, startTime: 0, task: 'w' } })}\n`);
      const d = await startDetached(home);
      const client = await connectTo(d, paths.socket);
      await waitFor(async () => (await client.call('status', {})).tasks.some((t) => t.name === 'w' && t.state === 'running'), 20_000, 'w running');
      client.close();
      expect(d.out()).toMatch(/skipped the record of w\/0 \(no valid start time \(0\)\)/);
      // The start-up sweep is over (w runs): the stranger's process was not signalled.
      expect(fs.existsSync(`/proc/${sleeper}`)).toBe(true);
    } finally {
      try {
        process.kill(sleeper, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }, 60_000);

  it('history of a task whose file is a directory answers a clear error, not "internal error: EISDIR"', async () => {
    const home = makeHome({ 'tasks/app.yaml': 'tasks:\n  t:\n    schedule: "0 0 1 1 *"\n    command: "true"\n' });
    const paths = homePaths(home);
    fs.mkdirSync(path.join(paths.runs, 't.jsonl'), { recursive: true });
    const d = await startDetached(home);
    (await connectTo(d, paths.socket)).close();
    const r = await jobctl(['history', 't'], { home });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/t\.jsonl is a directory, not a record file: move it away/);
    expect(r.stderr).not.toMatch(/internal error|EISDIR/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(d.child.exitCode).toBeNull();
  }, 60_000);

  it('item 3: rm -rf state/runs state/logs while running: later runs and output are kept again, said once', async () => {
    const home = makeHome({ 'tasks/app.yaml': [
      'tasks:',
      '  tick:',
      '    schedule: "* * * * * *"',
      '    command: echo tick-$JOBCTL_RUN_ID',
      '  w:',
      '    command: while true; do echo line-$$; sleep 0.2; done',
    ].join('\n') + '\n' });
    const paths = homePaths(home);
    const d = await startDetached(home);
    const client = await connectTo(d, paths.socket);
    await waitFor(async () => (await client.call('history', { task: 'tick' })).runs.some((r) => r.state === 'succeeded'), 20_000, 'a first run');
    fs.rmSync(paths.runs, { recursive: true, force: true });
    fs.rmSync(path.join(paths.state, 'logs'), { recursive: true, force: true });
    // Runs after the removal are in the history again, and their logs are readable.
    const again = await waitFor(async () => {
      const runs = (await client.call('history', { task: 'tick' })).runs.filter((r) => r.state === 'succeeded');
      return runs.length >= 2 && fs.existsSync(path.join(paths.runs, 'tick.jsonl')) ? runs : undefined;
    }, 20_000, 'runs recorded after the removal');
    const last = again![0]!;
    const runLog = await client.call('logs', { task: 'tick', run: last.id, lines: 5 });
    expect(JSON.stringify(runLog)).toContain(`tick-${last.id}`);
    // The service task's open log file was removed too: its output goes to a new file where `logs` reads it.
    await waitFor(() => fs.existsSync(paths.instanceLog('w', 0)) && fs.readFileSync(paths.instanceLog('w', 0), 'utf8').includes('line-'), 20_000, 'the instance log written again');
    client.close();
    const said = d.out().split('\n').filter((l) => /was removed while the daemon ran: created again/.test(l));
    expect(said.length).toBeGreaterThanOrEqual(1);
    // Once per directory, not once per write.
    expect(new Set(said.map((l) => /(\/\S+) was removed/.exec(l)![1])).size).toBe(said.length);
  }, 60_000);
});
