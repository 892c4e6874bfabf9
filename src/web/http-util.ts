import type { IncomingMessage, ServerResponse } from 'node:http';
import { JobctlError } from '../shared/errors.js';
import type { ApiError } from './wire.js';

/** What every response carries: no caching of data, no framing, no sniffing, no referrer (the URL may hold the token). */
export const BASE_HEADERS: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...BASE_HEADERS, 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { error: { code, message } } satisfies ApiError);
}

/** The HTTP status for a coded error of the daemon or of this server. */
export function statusFor(code: string): number {
  switch (code) {
    case 'NOT_FOUND': return 404;
    case 'FORBIDDEN': case 'PERMISSION_DENIED': return 403;
    case 'BAD_REQUEST': case 'BAD_TARGET': case 'WRONG_KIND': case 'DISABLED': return 400;
    case 'ALREADY_RUNNING': case 'NOT_RUNNING': case 'SUPERSEDED': case 'ILLEGAL_TRANSITION': case 'SHUTTING_DOWN': return 409;
    case 'DAEMON_UNREACHABLE': return 502;
    case 'TIMEOUT': return 504;
    default: return 500;
  }
}

/** A thrown error as a JSON reply: a JobctlError keeps its code and message. */
export function sendThrown(res: ServerResponse, e: unknown): void {
  if (e instanceof JobctlError) return sendError(res, statusFor(e.code), e.code, e.message);
  sendError(res, 500, 'INTERNAL', e instanceof Error ? e.message : String(e));
}

/** A JSON request body of at most `limit` bytes; a clear error for anything else. */
export async function readJson(req: IncomingMessage, limit = 16 * 1024): Promise<unknown> {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type)) throw new JobctlError('BAD_REQUEST', 'send the body as application/json');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new JobctlError('BAD_REQUEST', `the body is over ${limit} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new JobctlError('BAD_REQUEST', 'the body is not JSON');
  }
}
