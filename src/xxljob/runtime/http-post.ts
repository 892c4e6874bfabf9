import http from 'node:http';
import https from 'node:https';

export interface PostResult {
  status: number;
  text: string;
}

/** Largest answer read from an admin (its answers are a small ReturnT). */
const MAX_ANSWER_BYTES = 1024 * 1024;

/**
 * POST a body to an http(s) URL with node:http/https: `ca` (PEM) is the only CA trusted for
 * https when given; otherwise the system's. Certificates are always verified. Rejects on a
 * network error, an answer over 1 MiB, the timeout, or the signal.
 */
export function post(url: string, headers: Record<string, string>, body: string, opts: { timeoutMs: number; ca?: string; signal?: AbortSignal }): Promise<PostResult> {
  const u = new URL(url);
  const mod = u.protocol === 'https:' ? https : http;
  return new Promise<PostResult>((resolve, reject) => {
    const req = mod.request(u, {
      method: 'POST',
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      timeout: opts.timeoutMs,
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(u.protocol === 'https:' && opts.ca !== undefined ? { ca: opts.ca } : {}),
    }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_ANSWER_BYTES) req.destroy(new Error(`answer larger than ${MAX_ANSWER_BYTES} bytes`));
        else chunks.push(c);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    // A hard deadline for the whole exchange, not only for idle sockets.
    const deadline = setTimeout(() => req.destroy(Object.assign(new Error(`no answer within ${opts.timeoutMs} ms`), { code: 'ETIMEDOUT' })), opts.timeoutMs);
    deadline.unref();
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${opts.timeoutMs} ms`), { code: 'ETIMEDOUT' })));
    req.on('error', (e) => {
      clearTimeout(deadline);
      reject(e);
    });
    req.on('close', () => clearTimeout(deadline));
    req.end(body);
  });
}
