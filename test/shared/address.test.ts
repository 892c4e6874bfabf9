import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { sshArgv } from '../../src/api/ssh-stream.js';
import { formatAddress, parseAddress, type DaemonAddress } from '../../src/shared/address.js';

describe('host addresses', () => {
  it('reads every part of ssh://[user@]host[:port][/home]', () => {
    expect(parseAddress('ssh://web1')).toEqual({ kind: 'ssh', host: 'web1' });
    expect(parseAddress('ssh://deploy@web1.example.com:2222/srv/jobctl')).toEqual({ kind: 'ssh', host: 'web1.example.com', user: 'deploy', port: 2222, home: '/srv/jobctl' });
    expect(parseAddress('ssh://root@127.0.0.1/')).toEqual({ kind: 'ssh', host: '127.0.0.1', user: 'root' });
    expect(parseAddress('local')).toEqual({ kind: 'local' });
    expect(parseAddress('local:/srv/x')).toEqual({ kind: 'local', home: '/srv/x' });
  });

  it('writes an address back as the user wrote it', () => {
    for (const s of ['ssh://web1', 'ssh://deploy@web1:2222/srv/jobctl', 'local']) expect(formatAddress(parseAddress(s))).toBe(s);
  });

  it('refuses what it cannot reach, saying how to write it', () => {
    expect(() => parseAddress('http://web1')).toThrow(/only ssh:\/\/ and local.*ssh:\/\/\[user@\]host/);
    expect(() => parseAddress('ssh://')).toThrow(/no host name/);
    expect(() => parseAddress('ssh://web1:99999')).toThrow(/port 99999 is out of range/);
    expect(() => parseAddress('ssh://we b1')).toThrow(/not a host name/);
    // ssh would read a leading dash as one of its own options (-Fconfig, -oProxyCommand…)
    expect(() => parseAddress('ssh://-Fevil')).toThrow(/not a host name/);
    expect(() => parseAddress('ssh://-Fevil:22')).toThrow(/not a host name/);
    expect(() => parseAddress('ssh://-u@web1')).toThrow(/not a user name/);
    expect(() => parseAddress('ssh://a;b@web1')).toThrow(/not a user name/);
  });

  it('an IPv6 literal: brackets in the URL, none on ssh\'s command line (ssh -G shows what it would reach, without connecting)', async () => {
    const a = parseAddress('ssh://deploy@[::1]:2222/srv/jobs') as Extract<DaemonAddress, { kind: 'ssh' }>;
    expect(a).toEqual({ kind: 'ssh', host: '[::1]', user: 'deploy', port: 2222, home: '/srv/jobs' });
    expect(formatAddress(a)).toBe('ssh://deploy@[::1]:2222/srv/jobs');
    const argv = sshArgv(a, 'jobctl dial-stdio');
    expect(argv.slice(-3)).toEqual(['::1', '--', 'jobctl dial-stdio']);
    // OpenSSH's own reading of that argv (ssh.c: -G prints the resolved config and exits).
    const [, ...args] = argv.slice(0, -2);
    const g = await execa('ssh', ['-G', ...args], { reject: false });
    if ((g as { code?: string }).code === 'ENOENT') return;
    expect(g.stdout).toMatch(/^hostname ::1$/m);
    expect(g.stdout).toMatch(/^port 2222$/m);
    expect(g.stdout).toMatch(/^user deploy$/m);
  });
});
