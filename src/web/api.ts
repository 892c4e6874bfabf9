import type { IncomingMessage, ServerResponse } from 'node:http';
import { JobctlError } from '../shared/errors.js';
import type { TaskStatus } from '../shared/protocol.js';
import type { LogTarget, TuiBackend } from '../tui/backend.js';
import type { HostLinks } from './host-links.js';
import { readJson, sendError, sendJson } from './http-util.js';
import type { WebHub } from './hub.js';
import { SseStream } from './sse.js';
import { taskYaml } from './task-yaml.js';
import { VERBS, type ActionRequest, type ActionResult, type LogData, type LogStreamMessage, type TaskPageData, type Verb, type WebTask } from './wire.js';

export interface ApiDeps {
  hub: WebHub;
  backend: TuiBackend;
  links: HostLinks;
}

const SIGNAL_RE = /^(?:SIG)?[A-Z0-9+-]{1,12}$|^\d{1,2}$/i;
/** Runs on the task page's timeline and chart. */
const HISTORY_RUNS = 50;

/**
 * The page's API, each call through the same backend as the TUI's (or, for what the backend
 * does not have, the same connection): the live stream, one task in full, a log, a live log,
 * and the actions.
 */
export class WebApi {
  constructor(private readonly d: ApiDeps) {}

  /** `GET /api/stream`: a snapshot, then every change, as server-sent events. */
  stream(res: ServerResponse): void {
    const sse = new SseStream(res);
    const off = this.d.hub.subscribe((m) => sse.send(m.type, m.data));
    sse.onEnd(off);
  }

  /** `GET /api/task?key=`: the task with its details, its last runs and its YAML. */
  async task(res: ServerResponse, url: URL): Promise<void> {
    const t = this.require(url);
    const client = this.d.links.client(t.host);
    if (!client) throw new JobctlError('DAEMON_UNREACHABLE', `host ${t.host} is not connected`);
    const full: TaskStatus = (await client.call('status', { target: t.name }, 15_000)).tasks.find((x) => x.name === t.name) ?? t;
    const runs = t.kind === 'cron' ? await this.d.backend.history(t.key, HISTORY_RUNS) : [];
    const task: WebTask = { ...full, host: t.host, key: t.key };
    sendJson(res, 200, { task, runs, yaml: taskYaml(full) } satisfies TaskPageData);
  }

  /** `GET /api/log?key=&run=&instance=&lines=`: the last lines of one log (a run's, an instance's, or all). */
  async log(res: ServerResponse, url: URL): Promise<void> {
    const t = this.require(url);
    const client = this.d.links.client(t.host);
    if (!client) throw new JobctlError('DAEMON_UNREACHABLE', `host ${t.host} is not connected`);
    const target = logTarget(t.name, url);
    const lines = clampInt(url.searchParams.get('lines'), 1, 10_000, 500);
    const r = await client.call('logs', { ...target, lines }, 15_000);
    sendJson(res, 200, { lines: r.lines, files: r.files, ...(r.capped ? { capped: true } : {}) } satisfies LogData);
  }

  /** `GET /api/log/stream?key=&run=&instance=`: the last lines, then what the task writes, until the page leaves. */
  async logStream(res: ServerResponse, url: URL): Promise<void> {
    const t = this.require(url);
    const target = { ...logTarget(t.name, url), task: t.key };
    const r = await this.d.backend.follow(target, clampInt(url.searchParams.get('lines'), 0, 5000, 200));
    const sse = new SseStream(res);
    const send = (m: LogStreamMessage) => sse.send(m.type, m.data);
    send({ type: 'start', data: { lines: r.lines, files: r.files, ...(r.capped ? { capped: true } : {}) } });
    const sub = r.subscription;
    if (sub === undefined) {
      send({ type: 'end', data: { reason: 'the daemon does not follow this log' } });
      sse.end();
      return;
    }
    const onLog = (m: { subscription: number; text: string; instance?: number; run?: string }) => {
      if (m.subscription === sub) send({ type: 'lines', data: { text: m.text, ...(m.instance !== undefined ? { instance: m.instance } : {}), ...(m.run !== undefined ? { run: m.run } : {}) } });
    };
    const onEnd = (s: number) => {
      if (s !== sub) return;
      send({ type: 'end', data: { reason: 'the log ended' } });
      sse.end();
    };
    this.d.backend.on('log', onLog);
    this.d.backend.on('log-end', onEnd);
    sse.onEnd(() => {
      this.d.backend.off('log', onLog);
      this.d.backend.off('log-end', onEnd);
      this.d.backend.unfollow(sub);
    });
  }

  /**
   * `POST /api/action` {key, verb, signal?}: start, stop, restart, rolling, run, kill. The page
   * asks first where the TUI does (stop, kill); this server refuses a host whose connection may
   * not control (a viewer, or `--read-only`), and the daemon checks again.
   */
  async action(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readJson(req);
    const a = parseAction(body);
    const t = this.d.hub.task(a.key);
    if (!t) throw new JobctlError('NOT_FOUND', `no task "${a.key}" in this view`);
    const host = this.d.hub.host(t.host);
    if (!host?.canControl) {
      const why = this.d.hub.readOnly ? 'this page is read-only (jobctl web --read-only)' : `${host?.operator ?? 'this connection'} is a ${host?.role ?? 'viewer'} on ${t.host}`;
      return sendError(res, 403, 'FORBIDDEN', `may not ${a.verb} ${t.name}: ${why}`);
    }
    const message = await this.perform(a, t);
    sendJson(res, 200, { ok: true, message } satisfies ActionResult);
  }

  private async perform(a: ActionRequest, t: WebTask): Promise<string> {
    const b = this.d.backend;
    switch (a.verb) {
      case 'run': {
        const run = await b.run(t.key);
        return run ? `${t.name}: run ${run.id} ${run.state}` : `${t.name}: started`;
      }
      case 'kill': {
        const signal = a.signal ?? 'SIGKILL';
        const n = await b.kill(t.key, signal);
        return `${t.name}: ${signal} sent to ${n} process group${n === 1 ? '' : 's'}`;
      }
      default: {
        await b.control(a.verb, t.key);
        return `${t.name}: ${a.verb === 'rolling' ? 'rolling restart under way' : `${a.verb} done`}`;
      }
    }
  }

  private require(url: URL): WebTask {
    const key = url.searchParams.get('key');
    if (!key) throw new JobctlError('BAD_REQUEST', 'say which task: ?key=host:task');
    const t = this.d.hub.task(key);
    if (!t) throw new JobctlError('NOT_FOUND', `no task "${key}" in this view`);
    return t;
  }
}

function parseAction(body: unknown): ActionRequest {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  if (typeof b.key !== 'string' || !b.key) throw new JobctlError('BAD_REQUEST', 'the body needs "key": "host:task"');
  if (typeof b.verb !== 'string' || !(VERBS as readonly string[]).includes(b.verb)) throw new JobctlError('BAD_REQUEST', `"verb" must be one of ${VERBS.join(', ')}`);
  if (b.signal !== undefined && (typeof b.signal !== 'string' || !SIGNAL_RE.test(b.signal))) throw new JobctlError('BAD_REQUEST', '"signal" must be a signal name (SIGTERM, KILL) or number');
  return { key: b.key, verb: b.verb as Verb, ...(typeof b.signal === 'string' ? { signal: b.signal } : {}) };
}

function logTarget(task: string, url: URL): LogTarget {
  const run = url.searchParams.get('run');
  const instance = url.searchParams.get('instance');
  return { task, ...(run ? { run } : {}), ...(instance !== null && instance !== '' ? { instance: clampInt(instance, 0, 100_000, 0) } : {}) };
}

function clampInt(text: string | null, min: number, max: number, fallback: number): number {
  const n = text === null ? NaN : Number(text);
  return Number.isInteger(n) ? Math.min(max, Math.max(min, n)) : fallback;
}

