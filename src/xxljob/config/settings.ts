import { z } from 'zod';
import type { XxlJobSettings } from '../../shared/types.js';
import { listenSchema, parseListen } from '../../config/host/listen.js';

/**
 * `xxljob:` in `<home>/jobctl.yaml`: executor mode for an xxl-job admin (shared/xxl-job.md).
 * Owned by the executor feature; composed into the host settings schema.
 */

const URL_HINT = 'must be an http(s) URL, e.g. http://admin.internal:8080/xxl-job-admin';

const httpUrl = z.string({ error: URL_HINT }).trim().refine((v) => {
  try {
    const u = new URL(v);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}, { error: URL_HINT });

export const xxljobSchema = z.strictObject({
  admin: z.union([httpUrl, z.array(httpUrl).min(1)], { error: `${URL_HINT}, or a list of them` })
    .meta({ description: 'admin address(es), e.g. http://127.0.0.1:8080/xxl-job-admin; registration and callbacks go to the first that answers' }),
  appname: z.string({ error: 'must be the AppName of the executor in the admin' })
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, { error: 'must be 1-64 letters, digits, _ . - (the AppName of the executor in the admin)' })
    .meta({ description: 'the executor AppName registered with the admin' }),
  access_token: z.string().trim().min(1, { error: 'must not be empty: leave access_token out for no token (the admin\'s xxl.job.accessToken)' }).optional().meta({ description: 'the admin\'s xxl.job.accessToken; ${ENV_VAR} allowed (default: none, no token check)' }),
  ca_file: z.string({ error: 'must be the absolute path of a PEM file' }).trim().refine((v) => v.startsWith('/'), { error: 'must be an absolute path, e.g. /etc/ssl/private-ca.pem' }).optional()
    .meta({ description: 'PEM file of the CA(s) that signed an https admin\'s certificate, trusted instead of the system\'s (default: the system CAs; certificates are always verified)' }),
  listen: listenSchema.optional().meta({ description: 'host:port of the executor\'s HTTP server; the admin must reach it (default 127.0.0.1:9999)' }),
  address: httpUrl.optional().meta({ description: 'address to register, e.g. http://10.0.0.5:9999/ (default http://<listen>/; a 0.0.0.0 listen registers this host\'s first non-loopback IPv4)' }),
  version: z.union([z.literal(2), z.literal(3)], { error: 'must be 2 (2.x: content, /run) or 3 (3.x: data)' }).optional()
    .meta({ description: 'wire version of the admin: 2 for xxl-job 2.3/2.4, 3 for 3.x (default 2)' }),
});
export type RawXxlJob = z.infer<typeof xxljobSchema>;

/** @default listen 127.0.0.1:9999 */
export const DEFAULT_XXLJOB_LISTEN = '127.0.0.1:9999';

export function normalizeXxlJob(raw: RawXxlJob): XxlJobSettings {
  const listen = raw.listen ?? DEFAULT_XXLJOB_LISTEN;
  const { host, port } = parseListen(listen)!;
  // A wildcard host is no address to register: the service picks this host's IPv4 then.
  const wildcard = host === '0.0.0.0' || host === '::';
  const address = raw.address ?? (wildcard ? undefined : `http://${host.includes(':') ? `[${host}]` : host}:${port}/`);
  return {
    admin: (Array.isArray(raw.admin) ? raw.admin : [raw.admin]).map((a) => a.replace(/\/+$/, '')),
    appname: raw.appname,
    ...(raw.access_token !== undefined ? { accessToken: raw.access_token } : {}),
    ...(raw.ca_file !== undefined ? { caFile: raw.ca_file } : {}),
    listen,
    ...(address !== undefined ? { address } : {}),
    version: raw.version ?? 2,
  };
}
