import { parseBacklog } from '../core/scale-policy.js';
import { noContainment, type Containment } from './process/contain.js';
import { runOneShot } from './process/one-shot.js';
import { probeRunSuffix } from './probe-run-id.js';

export interface ProbeResult {
  backlog?: number;
  error?: string;
}

export interface ProbeOptions {
  cwd: string;
  env: Record<string, string>;
  /** The probe and everything it started are killed after this long. */
  timeoutMs: number;
  /** Output kept from stdout and stderr each. @default 65536 */
  maxBytes?: number;
  /** The home's containment. @default process groups alone */
  containment?: Containment;
}

/**
 * Run a scale probe (`redis-cli llen mail`) through /bin/sh in a box of its own and read the
 * first number it prints. On timeout the whole box is killed, so a compound probe
 * (`sleep 3; echo 5`) leaves nothing behind; after the shell exits, whatever it left (`sleep 9
 * &` in its group, `setsid …` outside it) is killed too: a probe is one-shot
 * (runtime/process/one-shot.ts). A probe that exits with its output closed and its group gone
 * costs no walk of /proc.
 */
export async function runProbe(command: string, opts: ProbeOptions): Promise<ProbeResult> {
  const r = await runOneShot({ command, cwd: opts.cwd, env: opts.env }, {
    containment: opts.containment ?? noContainment(),
    id: { task: opts.env.JOBCTL_TASK ?? 'probe', runId: `scale-${await probeRunSuffix()}` },
    timeoutMs: opts.timeoutMs, maxBytes: opts.maxBytes ?? 64 * 1024,
  });
  if (r.outcome === 'not-started') return { error: `probe could not start: ${r.error}` };
  if (r.outcome === 'timeout') return { error: `probe timed out after ${opts.timeoutMs}ms` };
  if (r.status.code !== 0) {
    return { error: `probe exited with code ${r.status.code ?? r.status.signal}: ${r.stderr.trim().split('\n').pop() ?? ''}`.trim() };
  }
  const backlog = parseBacklog(r.stdout);
  return backlog === undefined ? { error: `probe printed no number: ${JSON.stringify(r.stdout.replace(/\r?\n$/, '').slice(0, 80))}` } : { backlog };
}
