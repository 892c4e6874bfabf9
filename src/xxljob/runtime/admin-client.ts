import { errorMessage } from '../../shared/errors.js';
import { SUCCESS_CODE, TOKEN_HEADER, type Wire } from '../core/wire.js';
import { post } from './http-post.js';

/** Certificate errors are told in words (the code alone does not say what to do). */
const TLS_CODES = new Set(['SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_HAS_EXPIRED']);

export type AdminApi = 'registry' | 'registryRemove' | 'callback';

export type AdminAnswer = { ok: true; admin: string } | { ok: false; error: string };

export interface AdminClientOptions {
  /** Admin base URLs without a trailing slash. */
  admins: string[];
  /** Sent as XXL-JOB-ACCESS-TOKEN (already resolved); the header goes empty without one. */
  token?: string;
  /** PEM of the CA(s) trusted for https admins instead of the system's. */
  ca?: string;
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
        const res = await post(url, {
          'content-type': 'application/json;charset=UTF-8',
          'user-agent': 'jobctl',
          // Always sent, empty without a token, as the Java executor does: admins 3.3.0/3.3.1
          // require the header (@RequestHeader) and answer HTTP 400 without it.
          [TOKEN_HEADER]: this.opts.token ?? '',
        }, JSON.stringify(body), { timeoutMs: this.opts.timeoutMs ?? 5000, ...(this.opts.ca !== undefined ? { ca: this.opts.ca } : {}), ...(signal ? { signal } : {}) });
        const text = res.text;
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
        const err = e as { code?: string };
        errors.push(`${admin}: ${!err.code ? errorMessage(e) : TLS_CODES.has(err.code) ? `${errorMessage(e)} (name the admin's CA with xxljob.ca_file)` : err.code}`);
      }
    }
    return { ok: false, error: errors.join('; ') || 'no admin address' };
  }
}
