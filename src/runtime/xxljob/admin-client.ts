import { errorMessage } from '../../shared/errors.js';
import { SUCCESS_CODE, TOKEN_HEADER, type Wire } from '../../core/xxljob/wire.js';

export type AdminApi = 'registry' | 'registryRemove' | 'callback';

export type AdminAnswer = { ok: true; admin: string } | { ok: false; error: string };

export interface AdminClientOptions {
  /** Admin base URLs without a trailing slash. */
  admins: string[];
  /** Sent as XXL-JOB-ACCESS-TOKEN when set (already resolved). */
  token?: string;
  wire: Wire;
  /** Per request. @default 5000 */
  timeoutMs?: number;
}

/**
 * Calls an admin's `/api/*` (registry, registryRemove, callback): POST JSON with the token
 * header, trying each admin in order until one answers code 200, as the Java executor does.
 * Never throws: the answer says which admin took it, or what each one said.
 */
export class AdminClient {
  constructor(private readonly opts: AdminClientOptions) {}

  async call(api: AdminApi, body: unknown, signal?: AbortSignal): Promise<AdminAnswer> {
    const errors: string[] = [];
    for (const admin of this.opts.admins) {
      const url = `${admin}/api/${api}`;
      try {
        const timeout = AbortSignal.timeout(this.opts.timeoutMs ?? 5000);
        const res = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json;charset=UTF-8',
            'user-agent': 'jobctl',
            ...(this.opts.token ? { [TOKEN_HEADER]: this.opts.token } : {}),
          },
          body: JSON.stringify(body),
          signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        });
        const text = await res.text();
        if (res.status !== 200) {
          errors.push(`${admin}: HTTP ${res.status}`);
          continue;
        }
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          errors.push(`${admin}: answer is not JSON (is this the admin's address, with its context path such as /xxl-job-admin?)`);
          continue;
        }
        const r = this.opts.wire.parseResult(json);
        if (!r) errors.push(`${admin}: answer is not an xxl-job result`);
        else if (r.code === SUCCESS_CODE) return { ok: true, admin };
        else errors.push(`${admin}: code ${r.code}${r.msg ? `: ${r.msg}` : ''}`);
      } catch (e) {
        const cause = (e as { cause?: { code?: string; message?: string } }).cause;
        errors.push(`${admin}: ${cause?.code ?? cause?.message ?? errorMessage(e)}`);
      }
    }
    return { ok: false, error: errors.join('; ') || 'no admin address' };
  }
}
