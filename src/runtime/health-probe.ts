import net from 'node:net';
import { OUTPUT_LIMIT, type ProbeOutcome } from '../core/health-machine.js';
import type { HealthProbeSpec, RunAs } from '../shared/types.js';
import { noContainment, type Containment } from './process/contain.js';
import { runOneShot } from './process/one-shot.js';
import { probeRunSuffix } from './probe-run-id.js';

/**
 * Health probes (DESIGN.md "Health and order"): one check, bounded by a timeout, that says
 * pass or fail with a short output for status. A command probe runs in its own process
 * group, killed with the whole group at the timeout; http and tcp probes are aborted.
 * Where the home has cgroups, a command probe also runs in its own cgroup
 * (`<task>.rhealth-<instance>`), emptied when the probe ends: a `setsid` grandchild cannot
 * outlive it (as the instances' and runs' boxes, runtime/containment.ts).
 */

export interface ProbeContext {
  timeoutMs: number;
  /** For command probes: the task's working directory, environment and user. */
  cwd: string;
  env: Record<string, string>;
  envFile?: string;
  runAs?: RunAs;
  /** The home's containment. @default process groups alone */
  containment?: Containment;
}

export function runHealthProbe(probe: HealthProbeSpec, ctx: ProbeContext): Promise<ProbeOutcome> {
  const started = Date.now();
  const done = (ok: boolean, output: string): ProbeOutcome => ({ ok, output, durationMs: Date.now() - started });
  switch (probe.kind) {
    case 'command':
      return commandProbe(probe.command, ctx).then((r) => done(r.ok, r.output));
    case 'http':
      return httpProbe(probe.url, probe.status, ctx.timeoutMs).then((r) => done(r.ok, r.output));
    case 'tcp':
      return tcpProbe(probe.host, probe.port, ctx.timeoutMs).then((r) => done(r.ok, r.output));
  }
}

interface Verdict {
  ok: boolean;
  output: string;
}

async function commandProbe(command: string | string[], ctx: ProbeContext): Promise<Verdict> {
  const r = await runOneShot({
    command, cwd: ctx.cwd, env: ctx.env,
    ...(ctx.envFile ? { envFile: ctx.envFile } : {}),
    ...(ctx.runAs ? { runAs: ctx.runAs } : {}),
  }, {
    containment: ctx.containment ?? noContainment(),
    id: { task: ctx.env.JOBCTL_TASK ?? 'probe', runId: `health-${ctx.env.JOBCTL_INSTANCE ?? '0'}-${await probeRunSuffix()}` },
    timeoutMs: ctx.timeoutMs, maxBytes: OUTPUT_LIMIT, stdoutKeep: 'tail', drainMs: 200,
  });
  if (r.outcome === 'not-started') return { ok: false, output: `health command could not start: ${r.error}` };
  const seen = [r.stdout, r.stderr].map((t) => t.trim()).filter((t) => t !== '').join('\n');
  if (r.outcome === 'timeout') {
    return { ok: false, output: `health command timed out after ${ctx.timeoutMs}ms (killed with its process group)${seen ? `\n${seen}` : ''}` };
  }
  if (r.status.code === 0) return { ok: true, output: seen };
  const how = r.status.code !== null ? `exited with code ${r.status.code}` : `was killed by ${r.status.signal}`;
  return { ok: false, output: `health command ${how}${seen ? `\n${seen}` : ''}` };
}

async function httpProbe(url: string, expected: number | undefined, timeoutMs: number): Promise<Verdict> {
  try {
    const res = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(timeoutMs), headers: { 'user-agent': 'jobctl-health' } });
    const body = (await res.text()).slice(0, 500).trim();
    const ok = expected !== undefined ? res.status === expected : res.status >= 200 && res.status < 400;
    const want = expected !== undefined ? `, expected ${expected}` : ok ? '' : ', expected 2xx or 3xx';
    return { ok, output: `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}${want}${body ? `\n${body}` : ''}` };
  } catch (e) {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    if (err.name === 'TimeoutError' || err.name === 'AbortError') return { ok: false, output: `GET ${url}: no answer within ${timeoutMs}ms` };
    const cause = err.cause?.code ?? err.cause?.message ?? err.message;
    return { ok: false, output: `GET ${url}: ${cause}` };
  }
}

function tcpProbe(host: string, port: number, timeoutMs: number): Promise<Verdict> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const finish = (v: Verdict) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => finish({ ok: false, output: `${host}:${port}: no connection within ${timeoutMs}ms` }), timeoutMs);
    socket.once('connect', () => finish({ ok: true, output: `connected to ${host}:${port}` }));
    socket.once('error', (e: NodeJS.ErrnoException) => finish({ ok: false, output: `${host}:${port}: ${e.code ?? e.message}` }));
  });
}
