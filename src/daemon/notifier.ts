import os from 'node:os';
import { flushNotices, offerNotice, payload, type CoalesceState, type NoticeContent } from '../core/notify-policy.js';
import { expandEnv } from '../shared/env-ref.js';
import { tailLines } from '../runtime/log-read.js';
import { postJson } from '../runtime/webhook.js';
import { JobctlError } from '../shared/errors.js';
import type { NotifierSpec, TaskSpec } from '../shared/types.js';
import type { DaemonLog } from './logger.js';
import type { TaskNotice } from './registry.js';

/** One message per task per this window, at most. */
export const COALESCE_WINDOW_MS = 60_000;

/**
 * Sends task notices to the notifiers a task names in `notify.to`, for the events in
 * `notify.on`. Sending never blocks supervision: it happens in the background with a
 * timeout and retries, and a crash loop is coalesced to one message per task per minute.
 */
export class Notifier {
  private notifiers = new Map<string, NotifierSpec>();
  private readonly state = new Map<string, CoalesceState>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly inflight = new Set<Promise<unknown>>();
  private closed = false;

  constructor(
    private readonly log: DaemonLog,
    private readonly specOf: (task: string) => TaskSpec | undefined,
    private readonly opts: { windowMs?: number; host?: string; retryDelayMs?: number } = {},
  ) {}

  setConfig(notifiers: NotifierSpec[]): void {
    this.notifiers = new Map(notifiers.map((n) => [n.name, n]));
  }

  send(n: TaskNotice): void {
    if (this.closed) return;
    const spec = this.specOf(n.task);
    if (!spec?.notify || !spec.notify.on.includes(n.event)) return;
    const content: NoticeContent = {
      task: n.task, host: this.opts.host ?? os.hostname(), event: n.event, message: n.message,
      ...(n.exitCode !== undefined ? { exitCode: n.exitCode } : {}),
      ...(n.signal !== undefined ? { signal: n.signal } : {}),
      at: Date.now(), lines: tailLines(n.logFile, 10), count: 1,
    };
    const windowMs = this.opts.windowMs ?? COALESCE_WINDOW_MS;
    const r = offerNotice(this.state.get(n.task) ?? { held: 0 }, content, Date.now(), windowMs);
    this.state.set(n.task, r.state);
    if (r.action === 'send') this.deliver(spec.notify.to, content);
    else if (!this.timers.has(n.task)) {
      this.timers.set(n.task, setTimeout(() => this.flush(n.task), Math.max(0, r.flushAt - Date.now())).unref());
    }
  }

  private flush(task: string): void {
    this.timers.delete(task);
    const r = flushNotices(this.state.get(task) ?? { held: 0 }, Date.now());
    this.state.set(task, r.state);
    const spec = this.specOf(task);
    if (r.content && spec?.notify) this.deliver(spec.notify.to, r.content);
  }

  private deliver(to: string[], content: NoticeContent): void {
    for (const name of to) {
      const n = this.notifiers.get(name);
      if (!n) {
        this.log.warn(`notify: no notifier "${name}"`, content.task);
        continue;
      }
      const p = this.post(n, content).then((r) => {
        if (r.error) this.log.warn(`notify ${name}: ${r.error}`, content.task);
      });
      this.inflight.add(p);
      void p.finally(() => this.inflight.delete(p));
    }
  }

  private post(n: NotifierSpec, content: NoticeContent): Promise<{ status?: number; error?: string }> {
    const { text: url, missing } = expandEnv(n.url, process.env);
    if (missing.length) return Promise.resolve({ error: `environment variable ${missing.join(', ')} is not set for its URL` });
    return postJson(url, payload(n.format, content), { retryDelayMs: this.opts.retryDelayMs ?? 1000 });
  }

  /** `jobctl notify test NAME`: one message now; resolves with the HTTP status. */
  async test(name: string): Promise<number> {
    const n = this.notifiers.get(name);
    if (!n) throw new JobctlError('NOT_FOUND', `no notifier "${name}"; define it under notifiers: in a task file`);
    const r = await this.post(n, {
      task: 'jobctl', host: this.opts.host ?? os.hostname(), event: 'test', message: 'test message from `jobctl notify test`',
      at: Date.now(), lines: [], count: 1,
    });
    if (r.status === undefined || r.error) throw new JobctlError('IO_ERROR', `notifier "${name}": ${r.error ?? 'no answer'}`);
    return r.status;
  }

  /** Send what is held, wait for messages in flight (bounded). Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    for (const [task, t] of this.timers) {
      clearTimeout(t);
      this.flush(task);
    }
    this.closed = true;
    await Promise.race([Promise.allSettled([...this.inflight]), new Promise((r) => setTimeout(r, 3000).unref())]);
  }
}
