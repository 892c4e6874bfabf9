import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry, StatusResult } from '../../src/shared/protocol.js';
import { CLI, jobctl } from '../helpers/cli.js';
import { cleanupDaemons, makeHome, startTestDaemon } from '../helpers/daemon.js';
import { hasSshd, startSshd, type TestSshd } from '../helpers/sshd.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Rights per operator over a real sshd on 127.0.0.1 (docs/access.md): one key per operator,
 * each with the forced command `jobctl dial-stdio --as NAME`; `access:` in jobctl.yaml gives
 * bob viewer, alice operator of @billing and report-d*, carol admin. Each tries every method
 * and target form; a scoped operator never sees a name outside its scope.
 */

const LOOP = (word: string) => `while true; do echo ${word}; sleep 0.5; done`;
const ACCESS = [
  'access:',
  '  alice: {role: operator, tasks: ["@billing", "report-d*"]}',
  '  bob: {role: viewer}',
  '  carol: {role: admin}',
  '',
].join('\n');
/** What alice must never learn. */
const HIDDEN = /report-web|ops-backup|\bweb\b|\bbackup\b|ops\.yaml/;
const ALICE = '(operator of @billing, report-d*)';

let sshd: TestSshd;
let home: string;
let url: string;
type Key = { env: Record<string, string>; ssh: string[] };
const keys: Record<string, Key> = {};
const sessions: ChildProcess[] = [];

const as = (who: string, args: string[], timeoutMs = 30_000) => jobctl(['--host', url, ...args], { env: keys[who]!.env, timeoutMs, cwd: '/' });
const local = (args: string[]) => jobctl(args, { home });
const localStatus = async (): Promise<StatusResult> => JSON.parse((await local(['status', '--json'])).stdout) as StatusResult;
const stateOf = async (name: string) => (await localStatus()).tasks.find((t) => t.name === name)?.state;

/**
 * Independent CLI calls, three at a time, results in order: each is an ssh session and two
 * node processes, so all at once would pass the client's connect timeout on a loaded machine.
 */
async function few<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i]!);
  };
  await Promise.all([worker(), worker(), worker()]);
  return out;
}

type Reply = { id: number; result?: Record<string, unknown>; error?: { code: string; message: string } };
type Push = { event: string; data: Record<string, unknown> };

/** Newline JSON over a byte stream: calls by id, pushes kept. */
function protocolOver(write: (line: string) => void, onData: (fn: (d: Buffer) => void) => void) {
  let buf = '';
  let next = 1;
  const replies = new Map<number, Reply>();
  const pushes: Push[] = [];
  onData((d) => {
    buf += d.toString();
    for (let nl = buf.indexOf('\n'); nl !== -1; nl = buf.indexOf('\n')) {
      const m = JSON.parse(buf.slice(0, nl)) as Reply | Push;
      buf = buf.slice(nl + 1);
      if ('event' in m) pushes.push(m);
      else replies.set(m.id, m);
    }
  });
  const call = async (method: string, params: Record<string, unknown> = {}): Promise<Reply> => {
    const id = next++;
    write(`${JSON.stringify({ id, method, params })}\n`);
    return (await waitFor(() => replies.get(id), 20_000, `the reply to ${method}`))!;
  };
  return { call, pushes };
}

/** A raw session through the key's forced command: the protocol spoken by hand. */
function rawSsh(who: string) {
  const key = keys[who]!;
  const child = spawn(key.ssh[0]!, key.ssh.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
  sessions.push(child);
  return protocolOver((l) => child.stdin.write(l), (fn) => child.stdout.on('data', fn));
}

function rawLocal() {
  const socket = net.createConnection(path.join(home, 'state', 'jobctl.sock'));
  const p = protocolOver((l) => socket.write(l), (fn) => socket.on('data', fn));
  return { ...p, close: () => socket.destroy() };
}

beforeAll(async () => {
  if (!hasSshd) return;
  sshd = await startSshd();
  home = makeHome({
    'tasks/billing.yaml': `tasks:\n  billing-sync:\n    command: ${LOOP('billing')}\n    start_seconds: 200ms\n  billing-report:\n    schedule: "0 0 1 1 *"\n    command: echo report\n`,
    'tasks/reports.yaml': `tasks:\n  report-daily:\n    schedule: "0 0 1 1 *"\n    command: echo daily\n  report-web:\n    command: ${LOOP('web')}\n    start_seconds: 200ms\n`,
    'tasks/ops.yaml': `tasks:\n  ops-backup:\n    command: ${LOOP('backup')}\n    start_seconds: 200ms\n`,
    'jobctl.yaml': ACCESS,
  });
  url = sshd.url(home);
  for (const who of ['alice', 'bob', 'carol', 'dave']) {
    keys[who] = sshd.addKey(who, `command="${process.execPath} ${CLI} dial-stdio --home ${home} --as ${who}",restrict`);
  }
  await startTestDaemon(home);
  await waitFor(async () => (await stateOf('report-web')) === 'running' && (await stateOf('ops-backup')) === 'running', 20_000, 'tasks running');
}, 90_000);

afterAll(async () => {
  for (const s of sessions) if (s.exitCode === null && s.signalCode === null) s.kill('SIGKILL');
  expect(await cleanupDaemons()).toEqual([]);
  await sshd?.stop();
});

describe.runIf(hasSshd)('rights per operator over ssh (forced commands, access: in jobctl.yaml)', () => {
  it('hello names the identity: the key\'s operator over ssh, the owner (admin) on the local socket', async () => {
    const alice = rawSsh('alice');
    expect((await alice.call('hello')).result?.identity).toEqual({ operator: 'alice', role: 'operator', tasks: ['@billing', 'report-d*'] });
    const c = rawLocal();
    try {
      expect((await c.call('hello')).result?.identity).toEqual({ operator: os.userInfo().username, role: 'admin' });
    } finally {
      c.close();
    }
  }, 60_000);

  it('a client behind the forced command cannot claim another identity; a local one can only lower its own', async () => {
    const alice = rawSsh('alice');
    const claim = await alice.call('identify', { operator: 'carol' });
    expect(claim.error?.code).toBe('FORBIDDEN');
    expect(claim.error?.message).toMatch(/already: the operator is named once per connection/);
    expect((await alice.call('hello')).result?.identity).toMatchObject({ operator: 'alice' });
    expect((await alice.call('reload')).error?.message).toBe(`alice may not reload the tasks ${ALICE}`);

    const c = rawLocal();
    try {
      expect((await c.call('identify', { operator: 'bob' })).result?.identity).toEqual({ operator: 'bob', role: 'viewer' });
      expect((await c.call('stop', { target: 'report-web' })).error?.message).toBe('bob may not stop report-web (viewer)');
      expect((await c.call('identify', { operator: 'carol' })).error?.code).toBe('FORBIDDEN');
    } finally {
      c.close();
    }
    expect(await stateOf('report-web')).toBe('running');
  }, 60_000);

  it('an operator not in access: is refused at hello', async () => {
    const r = await as('dave', ['status']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/unknown operator "dave": not in access: of jobctl\.yaml/);
    expect(r.stdout).toBe('');
  }, 60_000);

  it('a viewer sees everything and changes nothing', async () => {
    const s = JSON.parse((await as('bob', ['status', '--json'])).stdout) as StatusResult;
    expect(s.tasks.map((t) => t.name).sort()).toEqual(['billing-report', 'billing-sync', 'ops-backup', 'report-daily', 'report-web']);
    expect((await as('bob', ['logs', 'report-web', '-n', '3'])).stdout).toMatch(/web/);
    expect((await as('bob', ['history', 'report-daily'])).code).toBe(0);
    expect((await as('bob', ['plan'])).code).toBe(0);
    // plan --dir would read any directory of the host as the daemon's user.
    const dir = await as('bob', ['plan', '--dir', '/etc']);
    expect({ code: dir.code, stdout: dir.stdout }).toEqual({ code: 1, stdout: '' });
    expect(dir.stderr).toMatch(/^jobctl: bob may not plan another directory \(viewer\)/);
    const refused: Array<[string[], string]> = [
      [['stop', 'billing-sync'], 'bob may not stop billing-sync (viewer)'],
      [['stop', '@ops'], 'bob may not stop @ops (viewer)'],
      [['stop', '--all'], 'bob may not stop every task (viewer)'],
      [['start', 'report-web'], 'bob may not start report-web (viewer)'],
      [['restart', '@reports'], 'bob may not restart @reports (viewer)'],
      [['run', 'report-daily'], 'bob may not run report-daily (viewer)'],
      [['kill', 'ops-backup'], 'bob may not signal ops-backup (viewer)'],
      [['scale', 'report-web', '2', '--no-wait'], 'bob may not scale report-web (viewer)'],
      [['reload'], 'bob may not reload the tasks (viewer)'],
      [['notify', 'test', 'chat'], 'bob may not send a test notification (viewer)'],
      [['audit'], 'bob may not read the audit trail (viewer)'],
      [['down'], 'bob may not shut the daemon down (viewer)'],
    ];
    // Independent calls, a few at once (see few()).
    const got = await few(refused, async ([args]) => {
      const r = await as('bob', args, 120_000);
      return { args, code: r.code, stderr: r.stderr.trim() };
    });
    expect(got).toEqual(refused.map(([args, message]) => ({ args, code: 1, stderr: `jobctl: ${message}` })));
    const after = await localStatus();
    expect(after.tasks.filter((t) => t.kind === 'service').map((t) => `${t.name} ${t.state}`).sort()).toEqual(['billing-sync running', 'ops-backup running', 'report-web running']);
  }, 400_000);

  it('a scoped operator sees only its tasks, in every view', async () => {
    const json = (await as('alice', ['status', '--json'])).stdout;
    expect(JSON.parse(json).tasks.map((t: { name: string }) => t.name)).toEqual(['billing-report', 'billing-sync', 'report-daily']);
    expect(json).not.toMatch(HIDDEN);
    const text = await as('alice', ['status']);
    expect(text.stdout).toMatch(/billing-sync/);
    expect(text.stdout + text.stderr).not.toMatch(HIDDEN);
    expect((await as('alice', ['status', '@reports', '--json'])).stdout).not.toMatch(HIDDEN);
    const logs = await as('alice', ['logs', '-n', '20']);
    expect(logs.stdout).toMatch(/billing/);
    expect(logs.stdout + logs.stderr).not.toMatch(HIDDEN);
    const plan = await as('alice', ['plan', '--json']);
    expect(plan.code).toBe(0);
    expect(plan.stdout).not.toMatch(HIDDEN);
    expect((await as('alice', ['history', 'report-daily'])).code).toBe(0);
    // Outside the scope: refused alike whether the task exists or not; a misspelt name of the scope is NOT_FOUND.
    const names = ['report-web', 'ops-backup', 'no-such-task'];
    const seen = await few(names, async (t) => (await as('alice', ['status', t], 120_000)).stderr.trim());
    expect(seen).toEqual(names.map((t) => `jobctl: alice may not see ${t} ${ALICE}`));
    expect((await as('alice', ['status', '@ops'])).stderr.trim()).toBe(`jobctl: alice may not see @ops ${ALICE}`);
    expect((await as('alice', ['logs', 'report-web'])).stderr.trim()).toBe(`jobctl: alice may not read the logs of report-web ${ALICE}`);
    expect((await as('alice', ['history', 'ops-backup'])).stderr.trim()).toBe(`jobctl: alice may not read the history of ops-backup ${ALICE}`);
    const typo = await as('alice', ['status', 'report-dialy']);
    expect(typo.stderr).toMatch(/no task named "report-dialy" \(did you mean "report-daily"\?\)/);
  }, 400_000);

  it('a scoped operator acts on its tasks only; groups and --all leave the rest alone and say so', async () => {
    const group = await as('alice', ['stop', '@reports']);
    expect(group.code).toBe(0);
    expect(group.stdout).toMatch(/^report-daily: /m);
    expect(group.stdout).toContain('(1 task(s) of @reports left alone: outside your rights)');
    expect(group.stdout).not.toMatch(HIDDEN);
    expect(await stateOf('report-web')).toBe('running');

    const all = await as('alice', ['stop', '--all', '--json']);
    const r = JSON.parse(all.stdout) as { tasks: Array<{ name: string }>; outOfScope: number };
    expect(r.tasks.map((t) => t.name)).toEqual(['billing-report', 'billing-sync', 'report-daily']);
    expect(r.outOfScope).toBe(2);
    expect(await stateOf('billing-sync')).toBe('stopped');
    expect(await stateOf('report-web')).toBe('running');
    expect(await stateOf('ops-backup')).toBe('running');
    expect((await as('alice', ['start', '--all'])).stdout).toContain('(2 task(s) of --all left alone: outside your rights)');
    expect(await stateOf('billing-sync')).toBe('running');

    expect((await as('alice', ['restart', 'billing-sync'])).stdout).toMatch(/^billing-sync: running/);
    expect((await as('alice', ['restart', '@billing'])).code).toBe(0);
    expect((await as('alice', ['kill', 'billing-sync', '-s', 'SIGCONT'])).code).toBe(0);
    expect((await as('alice', ['scale', 'billing-sync', '2'])).code).toBe(0);
    await waitFor(async () => (await localStatus()).tasks.find((t) => t.name === 'billing-sync')?.running === 2, 20_000, 'billing-sync at 2');

    const run = await as('alice', ['run', 'billing-report', '--json']);
    expect(run.code).toBe(0);
    const runId = (JSON.parse(run.stdout) as { run: { id: string } }).run.id;
    const runs = await waitFor(async () => {
      const h = JSON.parse((await local(['history', 'billing-report', '--json'])).stdout) as { runs: Array<{ id: string; triggeredBy?: string; state: string }> };
      return h.runs.find((x) => x.id === runId && x.state !== 'running');
    }, 20_000, 'the manual run recorded');
    expect(runs?.triggeredBy).toBe('alice');

    const refused: Array<[string[], string]> = [
      [['stop', 'report-web'], `alice may not stop report-web ${ALICE}`],
      [['stop', '@ops'], `alice may not stop @ops ${ALICE}`],
      [['start', 'ops-backup'], `alice may not start ops-backup ${ALICE}`],
      [['restart', 'report-web'], `alice may not restart report-web ${ALICE}`],
      [['run', 'report-web'], `alice may not run report-web ${ALICE}`],
      [['kill', 'ops-backup'], `alice may not signal ops-backup ${ALICE}`],
      [['scale', 'report-web', '3', '--no-wait'], `alice may not scale report-web ${ALICE}`],
      [['reload'], `alice may not reload the tasks ${ALICE}`],
      [['notify', 'test', 'chat'], `alice may not send a test notification ${ALICE}`],
      [['audit'], `alice may not read the audit trail ${ALICE}`],
      [['down'], `alice may not shut the daemon down ${ALICE}`],
    ];
    const got = await few(refused, async ([args]) => {
      const x = await as('alice', args, 120_000);
      return { args, code: x.code, stderr: x.stderr.trim() };
    });
    expect(got).toEqual(refused.map(([args, message]) => ({ args, code: 1, stderr: `jobctl: ${message}` })));
    expect(await stateOf('report-web')).toBe('running');
    expect(await stateOf('ops-backup')).toBe('running');
  }, 500_000);

  it('a scoped subscription gets pushes of its own tasks only', async () => {
    const alice = rawSsh('alice');
    expect((await alice.call('subscribe', { events: ['state', 'event'] })).result).toHaveProperty('subscription');
    await local(['restart', 'report-web']);
    await local(['restart', 'ops-backup']);
    await local(['restart', 'billing-sync']);
    await waitFor(() => alice.pushes.some((p) => p.event === 'state' && p.data.name === 'billing-sync' && p.data.state === 'running'), 20_000, 'billing-sync pushed');
    expect(JSON.stringify(alice.pushes)).not.toMatch(HIDDEN);
    // Another connection's subscription is not alice's to end.
    expect((await alice.call('unsubscribe', { subscription: 999 })).error?.code).toBe('NOT_FOUND');
  }, 90_000);

  it('fleet commands work unchanged for a scoped operator: its tasks only', async () => {
    const file = path.join(home, 'fleet.yaml');
    fs.writeFileSync(file, `timeout: 45s\nhosts:\n  web1: {address: "${url}"}\n`);
    const fleet = (args: string[]) => jobctl(['fleet', ...args, '--fleet', file], { env: keys.alice!.env, timeoutMs: 60_000, cwd: '/' });
    const s = await fleet(['status']);
    expect(s.code).toBe(0);
    expect(s.stdout).toMatch(/^web1\s+billing-sync\s+billing\s+service\s+running/m);
    expect(s.stdout + s.stderr).not.toMatch(HIDDEN);
    const group = await fleet(['restart', '@reports']);
    expect(group.stdout).toMatch(/^web1: report-daily: /m);
    expect(group.stdout).toContain('web1: (1 task(s) left alone: outside your rights)');
    const refused = await fleet(['stop', 'report-web']);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim()).toBe(`jobctl: web1: alice may not stop report-web ${ALICE}`);
    expect(await stateOf('report-web')).toBe('running');
  }, 120_000);

  it('the admin reads the audit trail: who, from where, what, how it ended', async () => {
    const r = await as('carol', ['audit', '-n', '500', '--json']);
    expect(r.code).toBe(0);
    const entries = (JSON.parse(r.stdout) as { entries: AuditEntry[] }).entries;
    const stop = entries.find((e) => e.operator === 'alice' && e.method === 'stop' && e.target === '@reports');
    expect(stop).toMatchObject({ role: 'operator', result: 'ok', tasks: ['report-daily'], outOfScope: 1 });
    expect(stop?.from).toMatch(/^127\.0\.0\.1 \d+ 127\.0\.0\.1 \d+$/);
    expect(entries.find((e) => e.operator === 'bob' && e.method === 'stop' && e.target === 'billing-sync')).toMatchObject({ result: 'error', code: 'FORBIDDEN', message: 'bob may not stop billing-sync (viewer)' });
    expect(entries.find((e) => e.operator === 'alice' && e.method === 'run' && e.result === 'ok')).toMatchObject({ target: 'billing-report' });
    expect(entries.some((e) => e.method === 'status' && e.result === 'ok')).toBe(false);
    const text = await as('carol', ['audit', '-n', '3']);
    expect(text.stdout.split('\n')[0]).toMatch(/TIME\s+OPERATOR\s+FROM\s+CALL\s+RESULT/);
    expect(fs.readFileSync(path.join(home, 'state', 'audit.jsonl'), 'utf8')).toContain('"operator":"alice"');
    expect((await as('carol', ['reload'])).code).toBe(0);
  }, 90_000);

  it('a live edit of access: applies to new connections and to open ones at their next call', async () => {
    const bob = rawSsh('bob');
    expect((await bob.call('hello')).result?.identity).toEqual({ operator: 'bob', role: 'viewer' });
    fs.writeFileSync(path.join(home, 'jobctl.yaml'), `${ACCESS.replace('bob: {role: viewer}', 'bob: {role: operator, tasks: ["ops-*"]}')}  dave: {role: viewer}\n`);
    await waitFor(async () => ((await bob.call('hello')).result?.identity as { role?: string } | undefined)?.role === 'operator', 20_000, 'bob an operator on the open connection');
    expect((await bob.call('stop', { target: 'ops-backup' })).result).toBeDefined();
    expect(await stateOf('ops-backup')).toBe('stopped');
    const seen = (await bob.call('status')).result as unknown as StatusResult;
    expect(seen.tasks.map((t) => t.name)).toEqual(['ops-backup']);
    expect((await bob.call('stop', { target: 'billing-sync' })).error?.message).toBe('bob may not stop billing-sync (operator of ops-*)');
    // New connections: bob's new rights, and dave, added, gets in.
    expect(JSON.parse((await as('bob', ['status', '--json'])).stdout).tasks.map((t: { name: string }) => t.name)).toEqual(['ops-backup']);
    expect((await as('dave', ['status'])).code).toBe(0);
    // Removed: the open connection is refused at its next call.
    fs.writeFileSync(path.join(home, 'jobctl.yaml'), ACCESS.replace('  bob: {role: viewer}\n', ''));
    await waitFor(async () => (await bob.call('hello')).error?.code === 'FORBIDDEN', 20_000, 'bob refused on the open connection');
    expect((await bob.call('status')).error?.message).toMatch(/^unknown operator "bob"/);
  }, 120_000);

  it('the admin brings the daemon down', async () => {
    const r = await as('carol', ['down'], 60_000);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^jobctl daemon stopped/);
  }, 90_000);
});
