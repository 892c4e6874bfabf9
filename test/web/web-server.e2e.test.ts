import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { jobctl } from '../helpers/cli.js';
import { cleanupDaemons, makeHome } from '../helpers/daemon.js';
import { tempDir } from '../helpers/temp.js';
import { makePki } from '../helpers/tls.js';
import { waitFor } from '../helpers/wait.js';
import { startWeb } from './web-process.js';

/** The server of `jobctl web` without a browser: TLS, a host that is down, a port in use, a public address. */
const work = tempDir('jobctl-web-server-');
afterAll(async () => {
  await cleanupDaemons();
  work.cleanup();
});

function get(url: string, ca: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: import('node:http').IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    https.get(url, { ca, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    }).on('error', reject);
  });
}

describe('jobctl web (server)', () => {
  it('serves https with --tls-cert/--tls-key, a Secure cookie, and a row for a daemon that is not running', async () => {
    const pki = makePki(work.dir);
    fs.writeFileSync(path.join(work.dir, 'web.pem'), pki.cert);
    fs.writeFileSync(path.join(work.dir, 'web.key'), pki.key);
    const ca = fs.readFileSync(pki.caFile, 'utf8');
    const home = makeHome({ 'tasks/a.yaml': 'tasks:\n  a:\n    command: sleep 1\n' });
    const w = await startWeb(['--tls-cert', path.join(work.dir, 'web.pem'), '--tls-key', path.join(work.dir, 'web.key')], { JOBCTL_HOME: home });
    try {
      expect(w.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/\?token=/);
      const login = await get(w.url, ca);
      expect(login.status).toBe(303);
      expect(login.headers.location).toBe('/');
      expect(login.headers['set-cookie']?.[0]).toMatch(/^jobctl_web_\d+=[\w-]+; Path=\/; HttpOnly; SameSite=Strict; Secure$/);
      const cookie = login.headers['set-cookie']![0]!.split(';')[0]!;
      const page = await get(`${w.origin}/`, ca, { cookie });
      expect(page.status).toBe(200);
      expect(page.headers['content-security-policy']).toContain("default-src 'self'");
      expect((await get(`${w.origin}/`, ca)).status).toBe(401);
      const state = await waitFor(async () => {
        const s = JSON.parse((await get(`${w.origin}/api/state`, ca, { cookie })).body) as { hosts: Array<{ connection: string; error?: string }> };
        return s.hosts[0]?.connection === 'disconnected' ? s : undefined;
      }, 15_000, 'the host to be reported down');
      expect(state!.hosts[0]!.error).toMatch(/^daemon not running/);
    } finally {
      await w.stop();
    }
  });

  it('--open gives the browser a file only this user can read, never the token on a command line (ps shows argv)', async () => {
    const bin = path.join(work.dir, 'bin');
    const seen = path.join(work.dir, 'xdg-open.seen');
    fs.mkdirSync(bin, { recursive: true });
    // A stand-in for xdg-open: records its argv, and the file it was given (mode and text).
    fs.writeFileSync(path.join(bin, 'xdg-open'), `#!/bin/sh\nf="\${1#file://}"\n{ echo "ARGV $*"; stat -c 'MODE %a' "$f"; cat "$f"; } > ${seen}.tmp\nmv ${seen}.tmp ${seen}\n`, { mode: 0o755 });
    const home = makeHome({ 'tasks/a.yaml': 'tasks: {}\n' });
    const w = await startWeb(['--open'], { JOBCTL_HOME: home, PATH: `${bin}:${process.env.PATH ?? ''}` });
    let given = '';
    try {
      const text = String(await waitFor(() => (fs.existsSync(seen) ? fs.readFileSync(seen, 'utf8') : ''), 15_000, 'xdg-open to be run'));
      const argv = /^ARGV (.*)$/m.exec(text)![1]!;
      expect(argv).not.toContain(w.token);
      expect(argv).toMatch(/^file:\/\/\//);
      given = new URL(argv).pathname;
      expect(text).toContain('MODE 600');
      expect(text).toContain(`url=${w.url}`);
    } finally {
      await w.stop();
    }
    expect(fs.existsSync(given)).toBe(false);
  });

  it('says what to do when the port is taken or the address is not loopback', async () => {
    const taken = net.createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      const home = makeHome({ 'tasks/a.yaml': 'tasks: {}\n' });
      const r = await jobctl(['web', '--listen', `127.0.0.1:${port}`], { home });
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`jobctl: --listen 127.0.0.1:${port}: the address is in use (another jobctl web?); choose another port, e.g. --listen 127.0.0.1:${port + 1}`);
      const open = await jobctl(['web', '--listen', '0.0.0.0:8080'], { home });
      expect(open.code).toBe(2);
      expect(open.stderr).toMatch(/is not a loopback address.*add --tls-cert FILE --tls-key FILE/);
    } finally {
      taken.close();
    }
  });
});
