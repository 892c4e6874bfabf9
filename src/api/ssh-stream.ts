import type { ChildProcess } from 'node:child_process';
import { Duplex } from 'node:stream';
import { JobctlError } from '../shared/errors.js';
import { sshHost, type DaemonAddress } from '../shared/address.js';

export interface SshOptions {
  /**
   * The ssh program and its own arguments, split on spaces (env JOBCTL_SSH_COMMAND).
   * The user's ~/.ssh/config, keys, agent, known_hosts and jump hosts apply as usual.
   * @default "ssh"
   */
  sshCommand?: string;
  /** The jobctl command on the far side (env JOBCTL_REMOTE_COMMAND). @default "jobctl" */
  remoteCommand?: string;
  /** Passed as `-o ConnectTimeout=`. @default 10 */
  connectTimeoutSeconds?: number;
  /** Never prompt for a password or passphrase (fleet commands ask many hosts at once). @default false */
  batch?: boolean;
}

/** Single-quote a word for the far side's shell. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The argv of `ssh … HOST -- COMMAND` for an address (also used by `fleet sync`). */
export function sshArgv(addr: Extract<DaemonAddress, { kind: 'ssh' }>, remote: string, opts: SshOptions = {}): string[] {
  const [program, ...pre] = (opts.sshCommand ?? 'ssh').trim().split(/\s+/);
  return [
    program!, ...pre, '-T',
    '-o', `ConnectTimeout=${opts.connectTimeoutSeconds ?? 10}`,
    // A partition is found by ssh within 10 s × 3 instead of hours of TCP keepalive.
    '-o', 'ServerAliveInterval=10', '-o', 'ServerAliveCountMax=3',
    ...(opts.batch ? ['-o', 'BatchMode=yes'] : []),
    ...(addr.port ? ['-p', String(addr.port)] : []),
    ...(addr.user ? ['-l', addr.user] : []),
    sshHost(addr), '--', remote,
  ];
}

/** `jobctl dial-stdio [--home H]` as the far side's shell reads it. */
export function dialCommand(addr: Extract<DaemonAddress, { kind: 'ssh' }>, remoteCommand = 'jobctl'): string {
  return `${remoteCommand} dial-stdio${addr.home ? ` --home ${shellQuote(addr.home)}` : ''}`;
}

/**
 * A child process's stdin/stdout as one duplex stream, with backpressure both ways.
 * It closes when the process exits; destroying it ends the process.
 */
export class ProcessStream extends Duplex {
  private stderrText = '';

  constructor(readonly child: ChildProcess) {
    super();
    const out = child.stdout!;
    out.on('data', (d: Buffer) => {
      if (!this.push(d)) out.pause();
    });
    out.on('end', () => this.push(null));
    child.stderr?.on('data', (d: Buffer) => {
      this.stderrText = (this.stderrText + d.toString()).slice(-4096);
    });
    child.stdin!.on('error', () => undefined);
    child.on('error', (e) => this.destroy(e));
    child.on('close', () => this.destroy());
  }

  /** What the process wrote to stderr (the last 4 KiB). */
  get stderr(): string {
    return this.stderrText;
  }

  /** The exit code once it has exited. */
  get exitCode(): number | null {
    return this.child.exitCode;
  }

  override _read(): void {
    this.child.stdout!.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    if (!this.child.stdin!.writable) return cb();
    this.child.stdin!.write(chunk, () => cb());
  }

  override _final(cb: (e?: Error | null) => void): void {
    this.child.stdin!.end(() => cb());
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    cb(err);
  }
}

/** Start `ssh HOST jobctl dial-stdio` and return its pipe. */
export function openSsh(addr: Extract<DaemonAddress, { kind: 'ssh' }>, opts: SshOptions = {}): ProcessStream {
  const argv = sshArgv(addr, dialCommand(addr, opts.remoteCommand), opts);
  // node:child_process on use: every CLI command imports this module, few open a pipe over ssh.
  const child = process.getBuiltinModule('node:child_process').spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
  return new ProcessStream(child);
}

const NOISE = /^(Warning: Permanently added .*|\s*)$/;

/**
 * Why an ssh pipe closed, in ssh's (or the far jobctl's) own words. 255 is ssh's own
 * failure; 127 is "command not found" on the far side.
 */
export function sshFailure(target: string, stream: ProcessStream, remoteCommand = 'jobctl'): JobctlError {
  return new JobctlError('DAEMON_UNREACHABLE', `${target}: ${sshSaid(stream, remoteCommand)}`);
}

/** What ssh (or the far side) said on stderr, one line, with a hint for a missing jobctl. */
export function sshSaid(stream: ProcessStream, remoteCommand = 'jobctl'): string {
  const said = stream.stderr.split('\n').map((l) => l.trim()).filter((l) => !NOISE.test(l)).join(' ').replace(/^jobctl: /, '');
  const code = stream.exitCode;
  const hint = code === 127 ? ` (is jobctl installed there? set JOBCTL_REMOTE_COMMAND to its path, now "${remoteCommand}")` : '';
  const plain = code === null ? 'the connection closed' : code === 255 ? 'ssh failed (exit 255)' : `the remote \`jobctl dial-stdio\` ended (exit ${code})`;
  return (said || plain) + hint;
}

export function sshError(e: NodeJS.ErrnoException, program: string): JobctlError {
  if (e.code === 'ENOENT') return new JobctlError('DAEMON_UNREACHABLE', `cannot run "${program}": install OpenSSH's client (ssh) or set JOBCTL_SSH_COMMAND`);
  return new JobctlError('DAEMON_UNREACHABLE', `ssh: ${e.message}`);
}
