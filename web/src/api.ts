import type { ActionRequest, ActionResult, ApiError, LogData, TaskPageData } from '../../src/web/wire.js';

/** A failed call, with the server's (or the daemon's) code and message. */
export class ApiFailure extends Error {
  constructor(readonly code: string, message: string, readonly status: number) {
    super(message);
  }
}

async function parse<T>(r: Response): Promise<T> {
  const body = (await r.json().catch(() => ({ error: { code: 'BAD_REPLY', message: `${r.status} ${r.statusText}` } }))) as T | ApiError;
  if (!r.ok) {
    const e = (body as ApiError).error ?? { code: String(r.status), message: r.statusText };
    throw new ApiFailure(e.code, e.message, r.status);
  }
  return body as T;
}

export async function getJson<T>(path: string, params: Record<string, string | number | undefined>): Promise<T> {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v));
  return parse<T>(await fetch(`${path}?${q}`, { credentials: 'same-origin', cache: 'no-store' }));
}

export const fetchTask = (key: string) => getJson<TaskPageData>('/api/task', { key });
export const fetchLog = (key: string, target: { run?: string; instance?: number }, lines = 500) => getJson<LogData>('/api/log', { key, ...target, lines });

/** Every state change is a POST with a JSON body from this page's own origin. */
export async function postAction(a: ActionRequest): Promise<ActionResult> {
  return parse<ActionResult>(await fetch('/api/action', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(a),
  }));
}

export function logStreamUrl(key: string, target: { run?: string; instance?: number }, lines = 200): string {
  const q = new URLSearchParams({ key, lines: String(lines) });
  if (target.run) q.set('run', target.run);
  if (target.instance !== undefined) q.set('instance', String(target.instance));
  return `/api/log/stream?${q}`;
}
