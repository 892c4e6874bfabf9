import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { JobctlClient } from '../../src/api/client.js';
import { Containment } from '../../src/runtime/process/contain.js';
import { listProcesses } from '../../src/runtime/proc.js';
import { homePaths } from '../../src/shared/paths.js';
import type { TaskStatus } from '../../src/shared/protocol.js';
import { CLI } from './cli.js';
import { tempDir, writeFiles } from './temp.js';
import { waitFor } from './wait.js';

export interface TestDaemon {
  home: string;
  socket: string;
  child: ChildProcess;
  pid: number;
  /** What the daemon wrote to stderr. */
  output(): string;
  client(): Promise<JobctlClient>;
  /** SIGTERM and wait for exit. */
  stop(): Promise<number | null>;
}

const started: TestDaemon[] = [];
const homes: Array<() => void> = [];

/** A temp home with these task files. */
export function makeHome(files: Record<string, string>): string {
  const t = tempDir('jobctl-home-');
  homes.push(t.cleanup);
  fs.mkdirSync(path.join(t.dir, 'tasks'), { recursive: true, mode: 0o755 });
  writeFiles(t.dir, files);
  return t.dir;
}

/** Run `jobctl daemon` for a home as a real process; resolves once the socket answers. */
export async function startTestDaemon(home: string, env: Record<string, string> = {}, opts: { asUser?: { uid: number; gid: number }; joinCgroups?: string[] } = {}): Promise<TestDaemon> {
  const socket = homePaths(home).socket;
  let out = '';
  // asUser: run it as another user (setpriv), e.g. so that file permissions apply to it when the tests run as root.
  // joinCgroups: cgroup.procs files it joins before it starts (as a daemon of another session would be in other groups).
  const argv = opts.asUser
    ? ['setpriv', [`--reuid=${opts.asUser.uid}`, `--regid=${opts.asUser.gid}`, '--clear-groups', process.execPath, CLI, 'daemon']] as const
    : opts.joinCgroups
      ? ['sh', ['-c', 'for f in $JOIN; do echo $$ > "$f" || exit 1; done; exec "$@"', 'sh', process.execPath, CLI, 'daemon']] as const
      : [process.execPath, [CLI, 'daemon']] as const;
  if (opts.joinCgroups) env = { ...env, JOIN: opts.joinCgroups.join(' ') };
  const child = spawn(argv[0], [...argv[1]], { env: { ...process.env, JOBCTL_HOME: home, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const d: TestDaemon = {
    home, socket, child, pid: child.pid!,
    output: () => out,
    client: () => JobctlClient.connect(socket),
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
  // Registered before it answers: a daemon that never comes up is still stopped by cleanupDaemons.
  started.push(d);
  await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`daemon exited: ${out}`);
    try {
      const c = await JobctlClient.connect(socket, { connectTimeoutMs: 500 });
      c.close();
      return true;
    } catch {
      return false;
    }
  }, 20_000, 'daemon socket');
  return d;
}

/** Pids of processes whose environment says they belong to this home (JOBCTL_HOME). */
export function processesOfHome(home: string): number[] {
  const out: number[] = [];
  for (const p of listProcesses()) {
    if (p.pid === process.pid) continue;
    try {
      const env = fs.readFileSync(`/proc/${p.pid}/environ`, 'utf8');
      if (env.includes(`JOBCTL_HOME=${home}\0`) && p.state !== 'Z') out.push(p.pid);
    } catch {
      /* gone or not ours */
    }
  }
  return out;
}

/** Stop every daemon a test started, kill anything left of their homes, remove the homes. */
export async function cleanupDaemons(): Promise<string[]> {
  const leftovers: string[] = [];
  for (const d of started.splice(0)) {
    if (d.child.exitCode === null && d.child.signalCode === null) {
      const exited = new Promise((r) => d.child.once('exit', r));
      d.child.kill('SIGTERM');
      // A daemon that does not stop in time is killed; either way its exit is awaited (a
      // process still dying would be counted below as left over).
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 20_000)))]);
      clearTimeout(timer);
      if (d.child.exitCode === null && d.child.signalCode === null) {
        d.child.kill('SIGKILL');
        await exited;
      }
    }
    for (const pid of processesOfHome(d.home)) {
      let cmd = '';
      try {
        cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      } catch {
        /* gone */
      }
      leftovers.push(`${pid} ${cmd} (${d.home}; daemon exit ${d.child.exitCode ?? d.child.signalCode})`);
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    // A daemon killed with -9 leaves its home's cgroups behind: remove them.
    const box = Containment.open(d.home);
    await box.sweep(200);
    box.close();
  }
  removeTestHomes();
  return leftovers;
}

/** Remove the homes makeHome made (cleanupDaemons does it too): for tests that start their daemons otherwise. */
export function removeTestHomes(): void {
  for (const h of homes.splice(0)) h();
}

/** One task's status from a test daemon. */
export async function taskStatus(d: TestDaemon, name: string): Promise<TaskStatus> {
  const c = await d.client();
  try {
    return (await c.call('status', { target: name })).tasks[0]!;
  } finally {
    c.close();
  }
}
