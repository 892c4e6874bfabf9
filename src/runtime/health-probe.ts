import net from 'node:net';
import type { Readable } from 'node:stream';
import { OUTPUT_LIMIT, type ProbeOutcome } from '../core/health-machine.js';
import { errorMessage } from '../shared/errors.js';
import type { HealthProbeSpec, RunAs } from '../shared/types.js';
import { Containment, type Box } from './containment.js';
import { spawnProcess } from './spawn.js';
import { signalGroup } from './terminate.js';

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

/** Collects the tail of a stream, never more than `limit` characters held. */
function collectTail(stream: Readable, limit: number): () => string {
  let text = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    text += chunk;
    if (text.length > limit * 2) text = text.slice(text.length - limit);
  });
  stream.on('error', () => undefined);
  return () => (text.length > limit ? text.slice(text.length - limit) : text);
}

/**
 * The probe's own cgroup when the home has cgroups (identity from the task's JOBCTL_*
 * variables). Process-group hosts keep the group kill alone: their stray search reads all
 * of /proc, too costly once per probe.
 */
function probeBox(env: Record<string, string>): Box | undefined {
  const home = env.JOBCTL_HOME;
  const task = env.JOBCTL_TASK;
  if (!home || !task) return undefined;
  const containment = Containment.for(home);
  if (containment.mode !== 'cgroup') return undefined;
  const box = containment.open({ task, runId: `health-${env.JOBCTL_INSTANCE ?? '0'}` });
  return box.kind === 'cgroup' ? box : (box.release(), undefined);
}

async function commandProbe(command: string | string[], ctx: ProbeContext): Promise<Verdict> {
  const box = probeBox(ctx.env);
  try {
    return await commandProbeIn(command, ctx, box);
  } finally {
    if (box) {
      box.kill();
      await box.waitEmpty(1000);
      box.release();
    }
  }
}

async function commandProbeIn(command: string | string[], ctx: ProbeContext, box: Box | undefined): Promise<Verdict> {
  let proc;
  try {
    proc = spawnProcess({
      command, cwd: ctx.cwd, env: ctx.env,
      ...(ctx.envFile ? { envFile: ctx.envFile } : {}),
      ...(ctx.runAs ? { runAs: ctx.runAs } : {}),
      ...(box ? { joinCgroups: box.joinFiles } : {}),
    });
  } catch (e) {
    return { ok: false, output: `health command could not start: ${errorMessage(e)}` };
  }
  box?.attach(proc.pgid);
  const out = collectTail(proc.stdout, OUTPUT_LIMIT);
  const err = collectTail(proc.stderr, OUTPUT_LIMIT);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ctx.timeoutMs);
  });
  const result = await Promise.race([proc.exit, timedOut]);
  clearTimeout(timer);
  const text = () => [out(), err()].map((t) => t.trim()).filter((t) => t !== '').join('\n');
  if (result === 'timeout') {
    signalGroup(proc.pgid, 'SIGKILL');
    proc.stdout.destroy();
    proc.stderr.destroy();
    const seen = text();
    return { ok: false, output: `health command timed out after ${ctx.timeoutMs}ms (killed with its process group)${seen ? `\n${seen}` : ''}` };
  }
  // Whatever the command left behind in its group goes too: a probe leaves nothing running.
  signalGroup(proc.pgid, 'SIGKILL');
  // Output written just before the exit: give the pipes a moment, never long.
  await Promise.race([
    Promise.all([ended(proc.stdout), ended(proc.stderr)]),
    new Promise((r) => setTimeout(r, 200).unref()),
  ]);
  proc.stdout.destroy();
  proc.stderr.destroy();
  const seen = text();
  if (result.code === 0) return { ok: true, output: seen };
  const how = result.code !== null ? `exited with code ${result.code}` : `was killed by ${result.signal}`;
  return { ok: false, output: `health command ${how}${seen ? `\n${seen}` : ''}` };
}

function ended(stream: Readable): Promise<void> {
  if (stream.readableEnded || stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    stream.once('end', resolve);
    stream.once('close', resolve);
  });
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
