import { parseBacklog } from '../core/scale-policy.js';

export interface ProbeResult {
  backlog?: number;
  error?: string;
}

/**
 * Run a scale probe (`redis-cli llen mail`) through /bin/sh with a timeout and read the
 * first number it prints. Its whole process group is killed on timeout.
 */
export async function runProbe(command: string, opts: { cwd: string; env: Record<string, string>; timeoutMs: number }): Promise<ProbeResult> {
  // execa is loaded on first use: most daemons never run a probe.
  const { execa } = await import('execa');
  const r = await execa('/bin/sh', ['-c', command], {
    cwd: opts.cwd, env: opts.env, extendEnv: true, timeout: opts.timeoutMs, reject: false, stdin: 'ignore',
    maxBuffer: 64 * 1024, forceKillAfterDelay: 1000, detached: true, cleanup: true,
  });
  if (r.timedOut) return { error: `probe timed out after ${opts.timeoutMs}ms` };
  if (r.exitCode !== 0) return { error: `probe exited with code ${r.exitCode ?? r.signal}: ${String(r.stderr).trim().split('\n').pop() ?? ''}`.trim() };
  const backlog = parseBacklog(String(r.stdout));
  if (backlog === undefined) return { error: `probe printed no number: ${JSON.stringify(String(r.stdout).slice(0, 80))}` };
  return { backlog };
}
