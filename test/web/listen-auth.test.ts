import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { WebAuth } from '../../src/web/auth.js';
import { isLoopback, resolveListen } from '../../src/web/listen.js';

const req = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;

describe('jobctl web --listen', () => {
  it('is loopback by default and refuses another address without TLS, saying what to add', () => {
    expect(resolveListen(undefined, undefined, undefined)).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(resolveListen('[::1]:9000', undefined, undefined)).toEqual({ host: '::1', port: 9000 });
    expect(() => resolveListen('0.0.0.0:8080', undefined, undefined)).toThrow(/not a loopback address.*--tls-cert FILE --tls-key FILE/);
    expect(() => resolveListen('10.1.2.3:8080', undefined, undefined)).toThrow(/--tls-cert/);
    expect(() => resolveListen('0.0.0.0:8080', '/x.pem', undefined)).toThrow(/go together/);
    expect(() => resolveListen('0.0.0.0:8080', '/nonexistent/cert.pem', '/nonexistent/key.pem')).toThrow(/--tls-cert \/nonexistent\/cert.pem: no such file/);
    expect(() => resolveListen('8080', undefined, undefined)).toThrow(/not host:port/);
    expect(['127.0.0.1', '127.9.9.9', 'localhost', '::1', '[::1]'].every(isLoopback)).toBe(true);
    expect(['0.0.0.0', '10.0.0.1', '::', 'example.com'].some(isLoopback)).toBe(false);
  });
});

describe('WebAuth', () => {
  const auth = new WebAuth({ host: '127.0.0.1', port: 8080, tls: false, token: 'T0k3n-long-enough' });

  it('takes the token from the cookie or a bearer header, never a near miss', () => {
    expect(auth.authenticated(req({ cookie: 'a=b; jobctl_web_8080=T0k3n-long-enough' }))).toBe(true);
    expect(auth.authenticated(req({ authorization: 'Bearer T0k3n-long-enough' }))).toBe(true);
    expect(auth.authenticated(req({ cookie: 'jobctl_web_8080=T0k3n-long-enougH' }))).toBe(false);
    expect(auth.authenticated(req({ cookie: 'jobctl_web_9090=T0k3n-long-enough' }))).toBe(false);
    expect(auth.authenticated(req({}))).toBe(false);
    expect(auth.cookie()).toBe('jobctl_web_8080=T0k3n-long-enough; Path=/; HttpOnly; SameSite=Strict');
    expect(new WebAuth({ host: '::1', port: 1, tls: true }).cookie()).toMatch(/; Secure$/);
  });

  it('answers to its own Host names and its own Origin only', () => {
    for (const host of ['127.0.0.1:8080', 'localhost:8080', '[::1]:8080']) expect(auth.hostOk(req({ host }))).toBe(true);
    for (const host of ['evil.example:8080', '127.0.0.1:8081', '']) expect(auth.hostOk(req({ host }))).toBe(false);
    expect(auth.originOk(req({ host: '127.0.0.1:8080', origin: 'http://127.0.0.1:8080' }))).toBe(true);
    expect(auth.originOk(req({ host: '127.0.0.1:8080', origin: 'http://evil.example' }))).toBe(false);
    expect(auth.originOk(req({ host: '127.0.0.1:8080', origin: 'null' }))).toBe(false);
    // no Origin: only a script with the bearer token
    expect(auth.originOk(req({ host: '127.0.0.1:8080' }))).toBe(false);
    expect(auth.originOk(req({ host: '127.0.0.1:8080', authorization: 'Bearer x' }))).toBe(true);
    expect(auth.startUrl).toBe('http://127.0.0.1:8080/?token=T0k3n-long-enough');
    expect(new WebAuth({ host: '127.0.0.1', port: 1, tls: false }).token).toMatch(/^[A-Za-z0-9_-]{32}$/);
  });
});

describe('jobctl web over TLS on an address of the network', () => {
  it('answers to the names its certificate is for (a browser sends the name it checked the certificate against), and prints one', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobctl-web-cert-'));
    try {
      const at = (f: string) => path.join(dir, f);
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', at('key'), '-out', at('cert'), '-days', '2', '-subj', '/CN=jobs', '-addext', 'subjectAltName=DNS:jobs.example.org,DNS:*.ops.example.org,IP:10.1.2.3'], { stdio: 'pipe' });
      const listen = resolveListen('10.1.2.3:8443', at('cert'), at('key'));
      expect(listen.tls?.names).toEqual(['jobs.example.org', '*.ops.example.org', '10.1.2.3']);
      const a = new WebAuth({ host: listen.host, port: listen.port, tls: true, names: listen.tls!.names });
      for (const host of ['jobs.example.org:8443', 'JOBS.example.org:8443', 'web.ops.example.org:8443', '10.1.2.3:8443']) expect(a.hostOk(req({ host }))).toBe(true);
      for (const host of ['evil.example:8443', 'a.b.ops.example.org:8443', 'jobs.example.org:8444']) expect(a.hostOk(req({ host }))).toBe(false);
      expect(a.originOk(req({ host: 'jobs.example.org:8443', origin: 'https://jobs.example.org:8443' }))).toBe(true);
      expect(a.startUrl).toMatch(/^https:\/\/10\.1\.2\.3:8443\/\?token=/);
      // Every address: the certificate's first name, not `localhost` (which it is not for).
      expect(new WebAuth({ host: '0.0.0.0', port: 8443, tls: true, names: listen.tls!.names }).startUrl).toMatch(/^https:\/\/jobs\.example\.org:8443\/\?token=/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('jobctl web on the scheme\'s own port', () => {
  it('answers to a Host without a port on 443 (https) or 80 (http): a browser leaves the default port out', () => {
    const a = new WebAuth({ host: '10.1.2.3', port: 443, tls: true, names: ['jobs.example.org'] });
    for (const host of ['jobs.example.org', 'jobs.example.org:443', '10.1.2.3']) expect(a.hostOk(req({ host }))).toBe(true);
    expect(a.hostOk(req({ host: 'evil.example' }))).toBe(false);
    expect(a.originOk(req({ host: 'jobs.example.org', origin: 'https://jobs.example.org' }))).toBe(true);
    expect(new WebAuth({ host: '127.0.0.1', port: 80, tls: false }).hostOk(req({ host: 'localhost' }))).toBe(true);
    expect(new WebAuth({ host: '127.0.0.1', port: 8080, tls: false }).hostOk(req({ host: 'localhost' }))).toBe(false);
  });
});
