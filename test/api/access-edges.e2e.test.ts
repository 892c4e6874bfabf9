import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry, StatusResult } from '../../src/shared/protocol.js';
import { CLI, jobctl } from '../helpers/cli.js';
import { cleanupDaemons, makeHome, startTestDaemon } from '../helpers/daemon.js';
import { hasSshd, startSshd, type TestSshd } from '../helpers/sshd.js';
import { tempDir } from '../helpers/temp.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Rights per operator at their edges, over a real sshd on 127.0.0.1 (docs/access.md):
 * docs/access.md's authorized_keys line as written (`jobctl` found on sshd's PATH), a client
 * address that names another home than the key's forced command, a wait reason or an event
 * naming a dependency outside the scope, `plan --dir` (any directory of the host) for a
 * viewer, and the audit line of an operator that is not in access:.
 */

const ROOT = path.resolve(import.meta.dirname, '../..');
const LOOP = 'while true; do echo billing; sleep 0.5; done';
const ACCESS = 'access:\n  alice: {role: operator, tasks: ["@billing"]}\n  bob: {role: viewer}\n  carol: {role: admin}\n';

let sshd: TestSshd;
let home: string;
let bin: ReturnType<typeof tempDir>;
const keys: Record<string, { env: Record<string, string>; ssh: string[] }> = {};
const sessions: ChildProcess[] = [];

const as = (who: string, args: string[], url = sshd.url(home)) => jobctl(['--host', url, ...args], { env: keys[who]!.env, timeoutMs: 30_000, cwd: '/' });

/** A raw session through the key's forced command: calls by id, pushes kept. */
function rawSsh(who: string) {
  const key = keys[who]!;
  const child = spawn(key.ssh[0]!, key.ssh.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
  sessions.push(child);
  let buf = '';
  let next = 1;
  const replies = new Map<number, { result?: Record<string, unknown>; error?: { code: string; message: string } }>();
  const pushes: Array<{ event: string; data: Record<string, unknown> }> = [];
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    for (let nl = buf.indexOf('\n'); nl !== -1; nl = buf.indexOf('\n')) {
      const m = JSON.parse(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
      if ('event' in m) pushes.push(m);
      else replies.set(m.id, m);
    }
  });
  const call = async (method: string, params: Record<string, unknown> = {}) => {
    const id = next++;
    child.stdin.write(`${JSON.stringify({ id, method, params })}\n`);
    return (await waitFor(() => replies.get(id), 20_000, `the reply to ${method}`))!;
  };
  return { call, pushes };
}

beforeAll(async () => {
  if (!hasSshd) return;
  // `jobctl` on the PATH sshd gives a session (sshd_config SetEnv: session.c sets it after its default PATH).
  bin = tempDir('jobctl-bin-');
  fs.writeFileSync(path.join(bin.dir, 'jobctl'), `#!/bin/sh\nexec ${process.execPath} ${CLI} "$@"\n`, { mode: 0o755 });
  sshd = await startSshd({ config: [`SetEnv PATH=${bin.dir}:/usr/bin:/bin`] });
  home = makeHome({
    'tasks/billing.yaml': `tasks:\n  billing-sync:\n    command: ${LOOP}\n    depends_on: {ops-db: started}\n`,
    'tasks/ops.yaml': 'tasks:\n  ops-db:\n    command: sleep 1000\n    enabled: false\n',
    'jobctl.yaml': ACCESS,
  });
  // alice's line is docs/access.md's, as written, with this home for /srv/jobctl.
  const line = /^(command="jobctl dial-stdio --home \/srv\/jobctl --as alice",restrict) ssh-ed25519 /m.exec(fs.readFileSync(path.join(ROOT, 'docs/access.md'), 'utf8'));
  expect(line, 'docs/access.md shows an authorized_keys line for alice').not.toBeNull();
  keys.alice = sshd.addKey('alice', line![1]!.replace('/srv/jobctl', home));
  for (const who of ['bob', 'carol', 'dave']) {
    keys[who] = sshd.addKey(who, `command="${process.execPath} ${CLI} dial-stdio --home ${home} --as ${who}",restrict`);
  }
  await startTestDaemon(home);
}, 90_000);

afterAll(async () => {
  for (const s of sessions) if (s.exitCode === null && s.signalCode === null) s.kill('SIGKILL');
  expect(await cleanupDaemons()).toEqual([]);
  await sshd?.stop();
  bin?.cleanup();
});

describe.runIf(hasSshd)('rights per operator at the edges (real sshd)', () => {
  it("the documented authorized_keys line (docs/access.md) works with OpenSSH as written", async () => {
    const r = await as('alice', ['status', '--json']);
    expect(r.stderr).toBe('');
    const status = JSON.parse(r.stdout) as StatusResult;
    expect(status.tasks.map((t) => t.name)).toEqual(['billing-sync']);
  }, 60_000);

  it('a client address naming another home than the forced command is refused, saying which home the key serves', async () => {
    const other = makeHome({ 'tasks/x.yaml': 'tasks:\n  x: {command: sleep 1}\n' });
    const r = await as('bob', ['status'], sshd.url(other));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`this SSH key's forced command serves the home ${home}; the address asked for ${other}`);
    expect(r.stdout).toBe('');
    // The home of the key, or no home in the address: served.
    expect((await as('bob', ['status'], sshd.url(home))).code).toBe(0);
    const bare = await as('bob', ['status', '--json'], sshd.url());
    expect(bare.code).toBe(0);
    expect((JSON.parse(bare.stdout) as StatusResult).daemon.home).toBe(home);
  }, 60_000);

  it('a wait reason, an event and a status never name a dependency outside the scope', async () => {
    const waiting = async (who: string) => {
      const r = await as(who, ['status', '--json']);
      return (JSON.parse(r.stdout) as StatusResult).tasks.find((t) => t.name === 'billing-sync')?.waiting;
    };
    await waitFor(async () => (await waiting('bob'))?.startsWith('waiting for ops-db'), 20_000, 'billing-sync waiting for ops-db');
    expect(await waiting('alice')).toMatch(/^waiting for a task outside your rights: disabled/);
    const text = await as('alice', ['status', 'billing-sync']);
    expect(text.stdout).toContain('billing-sync');
    expect(text.stdout + text.stderr).not.toContain('ops-db');

    const alice = rawSsh('alice');
    expect((await alice.call('subscribe', { events: ['state', 'event'] })).error).toBeUndefined();
    // Stopped, it waits no more; started again, it waits anew: a new event and state.
    expect((await alice.call('stop', { target: 'billing-sync' })).error).toBeUndefined();
    expect((await alice.call('start', { target: 'billing-sync' })).error).toBeUndefined();
    await waitFor(() => alice.pushes.some((p) => p.event === 'event' && /waiting for/.test(String(p.data.message))), 20_000, 'the wait event');
    await waitFor(() => alice.pushes.some((p) => p.event === 'state' && p.data.waiting), 20_000, 'a waiting state');
    expect(JSON.stringify(alice.pushes)).not.toContain('ops-db');
    expect(alice.pushes.find((p) => p.event === 'event' && /waiting for/.test(String(p.data.message)))?.data.message).toMatch(/waiting for a task outside your rights/);
  }, 90_000);

  it('plan --dir (any directory of the host, read as the daemon user) is for an admin only', async () => {
    const dir = tempDir('jobctl-plan-dir-');
    try {
      fs.writeFileSync(path.join(dir.dir, 'secret.yaml'), 'tasks:\n  secret-task: {command: sleep 1}\n');
      const bob = await as('bob', ['plan', '--dir', dir.dir]);
      expect(bob.code).not.toBe(0);
      expect(bob.stderr).toContain('bob may not plan another directory (viewer)');
      expect(bob.stdout).not.toContain('secret-task');
      expect((await as('alice', ['plan', '--dir', '/nonexistent-dir'])).stderr).toContain('alice may not plan another directory');
      const carol = await as('carol', ['plan', '--dir', dir.dir]);
      expect(carol.stdout).toContain('secret-task');
      // A plain plan stays a viewer's.
      expect((await as('bob', ['plan'])).code).toBe(0);
    } finally {
      dir.cleanup();
    }
  }, 60_000);

  it("an operator not in access: is audited as unknown, not with a role it never had", async () => {
    const r = await as('dave', ['status']);
    expect(r.stderr).toMatch(/unknown operator "dave"/);
    const audit = await jobctl(['audit', '-n', '500', '--json'], { home });
    const entries = (JSON.parse(audit.stdout) as { entries: AuditEntry[] }).entries;
    const dave = entries.filter((e) => e.operator === 'dave');
    expect(dave.length).toBeGreaterThan(0);
    for (const e of dave) expect(e).toMatchObject({ role: 'unknown', result: 'error', code: 'FORBIDDEN' });
    expect(os.userInfo().username).not.toBe('dave');
  }, 60_000);
});
