import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Containment } from '../../src/runtime/process/contain.js';
import { runHealthProbe } from '../../src/runtime/health-probe.js';
import { tempDir } from '../helpers/temp.js';
import { freePort } from '../helpers/net.js';
import { waitFor } from '../helpers/wait.js';

/** Real probes against a real HTTP server and real TCP ports on 127.0.0.1, and real commands. */

let server: http.Server;
let base: string;
const hung: http.ServerResponse[] = [];
const tmp = tempDir();

beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (req.url === '/ok') res.end('all good');
    else if (req.url === '/down') {
      res.statusCode = 503;
      res.end('database unreachable');
    } else if (req.url === '/empty') {
      res.statusCode = 204;
      res.end();
    } else if (req.url === '/moved') {
      res.writeHead(302, { location: '/elsewhere' });
      res.end();
    } else hung.push(res); // /hang: never answers
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
});

afterAll(async () => {
  for (const r of hung) r.destroy();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  tmp.cleanup();
});

const ctx = (timeoutMs = 2000) => ({ timeoutMs, cwd: tmp.dir, env: { PROBE_VAR: 'from-task' } });

describe('http probe', () => {
  it('passes on 2xx and keeps the status and body', async () => {
    const r = await runHealthProbe({ kind: 'http', url: `${base}/ok` }, ctx());
    expect(r).toMatchObject({ ok: true, output: 'HTTP 200 OK\nall good' });
  });

  it('passes on a redirect without following it', async () => {
    expect((await runHealthProbe({ kind: 'http', url: `${base}/moved` }, ctx())).ok).toBe(true);
  });

  it('fails on 503 and says what it expected', async () => {
    const r = await runHealthProbe({ kind: 'http', url: `${base}/down` }, ctx());
    expect(r).toMatchObject({ ok: false, output: 'HTTP 503 Service Unavailable, expected 2xx or 3xx\ndatabase unreachable' });
  });

  it('an expected status must match exactly', async () => {
    expect((await runHealthProbe({ kind: 'http', url: `${base}/empty`, status: 204 }, ctx())).ok).toBe(true);
    const r = await runHealthProbe({ kind: 'http', url: `${base}/ok`, status: 204 }, ctx());
    expect(r).toMatchObject({ ok: false, output: 'HTTP 200 OK, expected 204\nall good' });
  });

  it('fails at the timeout when the server never answers', async () => {
    const t0 = Date.now();
    const r = await runHealthProbe({ kind: 'http', url: `${base}/hang` }, ctx(300));
    expect(r).toMatchObject({ ok: false, output: `GET ${base}/hang: no answer within 300ms` });
    expect(Date.now() - t0).toBeLessThan(20_000); // at its timeout, not never (a generous guard under load)
  });

  it('fails with the reason when nothing listens', async () => {
    const port = await freePort();
    const r = await runHealthProbe({ kind: 'http', url: `http://127.0.0.1:${port}/` }, ctx());
    expect(r).toMatchObject({ ok: false, output: `GET http://127.0.0.1:${port}/: ECONNREFUSED` });
  });
});

describe('tcp probe', () => {
  it('passes when a connection opens, fails when refused', async () => {
    const port = Number(new URL(base).port);
    expect(await runHealthProbe({ kind: 'tcp', host: '127.0.0.1', port }, ctx())).toMatchObject({ ok: true, output: `connected to 127.0.0.1:${port}` });
    const closed = await freePort();
    expect(await runHealthProbe({ kind: 'tcp', host: '127.0.0.1', port: closed }, ctx())).toMatchObject({ ok: false, output: `127.0.0.1:${closed}: ECONNREFUSED` });
  });
});

describe('command probe', () => {
  it('passes on exit 0 with its output, in the task cwd and env', async () => {
    const r = await runHealthProbe({ kind: 'command', command: 'echo "ok from $PROBE_VAR in $(pwd)"' }, ctx());
    expect(r).toMatchObject({ ok: true, output: `ok from from-task in ${fs.realpathSync(tmp.dir)}` });
  });

  it('fails on a non-zero exit with stdout and stderr', async () => {
    const r = await runHealthProbe({ kind: 'command', command: 'echo partial; echo "no pong" >&2; exit 3' }, ctx());
    expect(r).toMatchObject({ ok: false, output: 'health command exited with code 3\npartial\nno pong' });
  });

  it('a list command is exec\'d; a missing binary fails clearly', async () => {
    expect((await runHealthProbe({ kind: 'command', command: ['true'] }, ctx())).ok).toBe(true);
    const r = await runHealthProbe({ kind: 'command', command: ['no-such-binary-xyz'] }, ctx());
    expect(r).toMatchObject({ ok: false, output: 'health command could not start: command not found or not executable: no-such-binary-xyz' });
  });

  it('a hanging probe is killed with its whole process group at the timeout', async () => {
    const pidFile = path.join(tmp.dir, 'grandchild.pid');
    const t0 = Date.now();
    // The probe forks a grandchild that ignores SIGTERM, then waits forever.
    const r = await runHealthProbe({
      kind: 'command',
      command: `sh -c 'trap "" TERM; echo $$ > ${pidFile}; exec sleep 1000' & echo started; wait`,
    }, ctx(500));
    expect(Date.now() - t0).toBeLessThan(20_000); // at its timeout, not never (a generous guard under load)
    expect(r.ok).toBe(false);
    expect(r.output).toBe('health command timed out after 500ms (killed with its process group)\nstarted');
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    await waitFor(() => !alive(pid), 3000, `grandchild ${pid} gone`);
  });

  it('what a passing probe leaves running in its group is cleared', async () => {
    const pidFile = path.join(tmp.dir, 'left.pid');
    const r = await runHealthProbe({ kind: 'command', command: `sleep 1000 & echo $! > ${pidFile}; echo fine` }, ctx());
    expect(r).toMatchObject({ ok: true, output: 'fine' });
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    await waitFor(() => !alive(pid), 3000, `left-over ${pid} gone`);
  });
});

const cgroupProbe = Containment.open('/probe-only-health');
const CGROUPS = cgroupProbe.mode === 'cgroup';
cgroupProbe.close();

describe('command probe containment (setsid escaped the probe and leaked a process per probe)', () => {
  it.skipIf(!CGROUPS)('a setsid grandchild of a probe is killed at the timeout and after a pass', async () => {
    const home = path.join(tmp.dir, 'home');
    fs.mkdirSync(home, { recursive: true });
    const env = { JOBCTL_HOME: home, JOBCTL_TASK: 'probed', JOBCTL_INSTANCE: '0' };
    const c = Containment.open(home);
    try {
      for (const [name, command, timeoutMs, ok] of [
        ['hung', 'setsid sh -c \'echo $$ > PIDFILE; exec sleep 1000\' & sleep 1000', 500, false],
        ['passed', 'setsid sh -c \'echo $$ > PIDFILE; exec sleep 1000\' & sleep 0.3; echo fine', 5000, true],
      ] as const) {
        const pidFile = path.join(tmp.dir, `${name}-setsid.pid`);
        const r = await runHealthProbe({ kind: 'command', command: command.replace('PIDFILE', pidFile) }, { timeoutMs, cwd: tmp.dir, env, containment: c });
        expect(r.ok).toBe(ok);
        const pid = Number(fs.readFileSync(pidFile, 'utf8'));
        await waitFor(() => !alive(pid), 3000, `${name}: setsid grandchild ${pid} gone`);
      }
    } finally {
      c.close();
    }
  });
});

function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/\) Z /.test(stat);
  } catch {
    return false;
  }
}

