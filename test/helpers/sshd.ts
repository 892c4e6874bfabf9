import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI } from './cli.js';
import { freePort, waitForPort } from './net.js';
import { tempDir } from './temp.js';

export interface TestSshd {
  port: number;
  /** `ssh://USER@127.0.0.1:PORT` + home. */
  url(home?: string): string;
  /** What the client needs: JOBCTL_SSH_COMMAND (a private ssh config) and JOBCTL_REMOTE_COMMAND. */
  env: Record<string, string>;
  /** Everything sshd wrote (-e: to stderr). */
  output(): string;
  /**
   * One more client key in authorized_keys, with these key options before it (e.g.
   * `command="…",restrict`): the client env that logs in with it, and the ssh argv of a
   * session (for a raw pipe to the forced command).
   */
  addKey(name: string, options: string): { env: Record<string, string>; ssh: string[] };
  /** Kill sshd by its pid and remove its files. Safe to call twice. */
  stop(): Promise<void>;
}

/** Whether the machine can run a private sshd (Debian's openssh-server; .ci/run installs it). */
export const hasSshd = fs.existsSync('/usr/sbin/sshd') && (() => {
  try {
    execFileSync('ssh', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/**
 * A real OpenSSH server for one test file: 127.0.0.1 and a free port, a generated host key
 * and client key in a temp dir, `-D -e` with its own config; the client side gets a private
 * ssh config (identity, known_hosts with that host key), so the user's own ssh setup is
 * never read or changed. `config`: more sshd_config lines (e.g. `SetEnv PATH=…`).
 */
export async function startSshd(opts: { config?: string[] } = {}): Promise<TestSshd> {
  const t = tempDir('jobctl-sshd-');
  const dir = t.dir;
  const port = await freePort();
  const user = os.userInfo().username;
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'host_key')]);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'client_key')]);
  fs.copyFileSync(path.join(dir, 'client_key.pub'), path.join(dir, 'authorized_keys'));
  const hostPub = fs.readFileSync(path.join(dir, 'host_key.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
  fs.writeFileSync(path.join(dir, 'known_hosts'), `[127.0.0.1]:${port} ${hostPub}\n`);
  fs.writeFileSync(path.join(dir, 'sshd_config'), [
    `Port ${port}`, 'ListenAddress 127.0.0.1', `HostKey ${dir}/host_key`, `AuthorizedKeysFile ${dir}/authorized_keys`,
    `PidFile ${dir}/sshd.pid`, 'PermitRootLogin prohibit-password', 'PasswordAuthentication no',
    'KbdInteractiveAuthentication no', 'UsePAM no', 'StrictModes no', 'LogLevel ERROR', 'MaxStartups 100:30:200', 'MaxSessions 100',
    ...(opts.config ?? []),
  ].join('\n') + '\n');
  fs.writeFileSync(path.join(dir, 'ssh_config'), [
    'Host *', `  IdentityFile ${dir}/client_key`, '  IdentitiesOnly yes', `  UserKnownHostsFile ${dir}/known_hosts`,
    '  StrictHostKeyChecking yes', '  GlobalKnownHostsFile /dev/null', '  LogLevel ERROR', '  BatchMode yes',
  ].join('\n') + '\n');
  fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // privilege separation directory
  let out = '';
  const child: ChildProcess = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', path.join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  await Promise.race([waitForPort(port), exited.then(() => {
    throw new Error(`sshd exited: ${out}`);
  })]);
  let stopped = false;
  return {
    port,
    url: (home) => `ssh://${user}@127.0.0.1:${port}${home ?? ''}`,
    env: { JOBCTL_SSH_COMMAND: `ssh -F ${dir}/ssh_config`, JOBCTL_REMOTE_COMMAND: `${process.execPath} ${CLI}` },
    output: () => out,
    addKey: (name, options) => {
      const key = path.join(dir, `${name}_key`);
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', key]);
      fs.appendFileSync(path.join(dir, 'authorized_keys'), `${options} ${fs.readFileSync(`${key}.pub`, 'utf8').trim()}\n`);
      const config = path.join(dir, `${name}_ssh_config`);
      fs.writeFileSync(config, fs.readFileSync(path.join(dir, 'ssh_config'), 'utf8').replace(`${dir}/client_key`, key));
      return {
        env: { JOBCTL_SSH_COMMAND: `ssh -F ${config}`, JOBCTL_REMOTE_COMMAND: `${process.execPath} ${CLI}` },
        ssh: ['ssh', '-F', config, '-T', '-p', String(port), `${user}@127.0.0.1`],
      };
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      if (child.exitCode === null && child.signalCode === null) {
        process.kill(child.pid!, 'SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      }
      t.cleanup();
    },
  };
}
