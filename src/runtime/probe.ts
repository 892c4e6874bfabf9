import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { parseBacklog } from '../core/scale-policy.js';
import { processesWithEnv } from './containment.js';
import { signalGroup } from './terminate.js';

export interface ProbeResult {
  backlog?: number;
  error?: string;
}

export interface ProbeOptions {
  cwd: string;
  env: Record<string, string>;
  /** The probe and everything it started are killed (SIGKILL to its process group) after this long. */
  timeoutMs: number;
  /** Output kept from stdout and stderr each. @default 65536 */
  maxBytes?: number;
}

/**
 * Run a scale probe (`redis-cli llen mail`) through /bin/sh in a process group of its own
 * and read the first number it prints. On timeout the whole group is killed, so a compound
 * probe (`sleep 3; echo 5`) leaves nothing behind; after the shell exits, whatever it left
 * in its group (`sleep 9 &`) is killed too: a probe is one-shot. What left the group
 * (`setsid …`) is found by a marker in its environment (JOBCTL_PROBE) and killed as well.
 */
export function runProbe(command: string, opts: ProbeOptions): Promise<ProbeResult> {
  const maxBytes = opts.maxBytes ?? 64 * 1024;
  const mark = `JOBCTL_PROBE=${randomUUID()}`;
  return new Promise<ProbeResult>((resolve) => {
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn('/bin/sh', ['-c', command], {
        cwd: opts.cwd, env: { ...process.env, ...opts.env, JOBCTL_PROBE: mark.slice('JOBCTL_PROBE='.length) },
        stdio: ['ignore', 'pipe', 'pipe'], detached: true,
      });
    } catch (e) {
      resolve({ error: `probe could not start: ${(e as Error).message}` });
      return;
    }
    const pgid = child.pid;
    let stdout = '';
    let stderr = '';
    let done = false;
    // Everything the probe started: its group, and what left the group (found by the marker).
    let swept = false;
    const killAll = () => {
      if (pgid !== undefined) signalGroup(pgid, 'SIGKILL');
      if (swept) return;
      swept = true;
      for (const pid of processesWithEnv([mark])) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    };
    const finish = (r: ProbeResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      killAll();
      child.stdout?.destroy();
      child.stderr?.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => finish({ error: `probe timed out after ${opts.timeoutMs}ms` }), opts.timeoutMs);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      if (stdout.length < maxBytes) stdout += d;
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < maxBytes) stderr += d;
    });
    child.on('error', (e) => finish({ error: `probe could not start: ${e.message}` }));
    // The shell is done: what it left (`sleep 9 &` in its group, `setsid sleep 9 &` outside it,
    // both holding the pipes) goes, so the pipes close; the output is read on 'close', once all
    // of it has arrived (on 'exit' some could still be in the pipe).
    child.on('exit', killAll);
    child.on('close', (code, signal) => {
      if (code !== 0) {
        finish({ error: `probe exited with code ${code ?? signal}: ${stderr.trim().split('\n').pop() ?? ''}`.trim() });
        return;
      }
      const backlog = parseBacklog(stdout);
      finish(backlog === undefined ? { error: `probe printed no number: ${JSON.stringify(stdout.replace(/\r?\n$/, '').slice(0, 80))}` } : { backlog });
    });
  });
}
