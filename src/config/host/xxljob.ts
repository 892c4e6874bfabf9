import { z } from 'zod';
import type { XxlJobSettings } from '../../shared/types.js';

/**
 * `xxljob:` in `<home>/jobctl.yaml`: executor mode for an xxl-job admin (shared/xxl-job.md).
 * Owned by the executor feature; composed into the host settings schema.
 */

/** `host:port`, `[v6]:port`; the host may be omitted (`:9999` = every address). */
export function parseListen(v: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]*)):(\d{1,5})$/.exec(v.trim());
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return undefined;
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

const httpUrl = (what: string) => z.string().trim().refine((v) => {
  try {
    const u = new URL(v);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}, { error: `${what} must be an http:// or https:// URL` });

const adminUrl = httpUrl('an admin address').meta({ description: 'admin base URL, e.g. http://admin:8080/xxl-job-admin' });

export const xxljobSchema = z.strictObject({
  admin: z.union([adminUrl, z.array(adminUrl).min(1)], { error: 'admin: an http(s) URL of the admin (e.g. http://admin:8080/xxl-job-admin), or a list of them' })
    .meta({ description: 'one or more admin addresses; registration and callbacks go to the first that answers' }),
  appname: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, { error: 'appname: 1-64 letters, digits, _ . - (the AppName of the executor group in the admin)' })
    .meta({ description: 'the AppName of the executor group created in the admin' }),
  access_token: z.string().min(1).optional().meta({ description: 'the admin\'s xxl.job.accessToken; may be ${ENV_VAR} (default: none, no token check)' }),
  listen: z.string().refine((v) => parseListen(v) !== undefined, { error: 'listen: host:port of the executor\'s HTTP server, e.g. 0.0.0.0:9999' })
    .meta({ description: 'host:port the executor\'s HTTP server listens on (the admin must reach it)' }),
  address: httpUrl('address').optional().meta({ description: 'what to register, e.g. http://10.0.0.5:9999/ (default: from listen; a wildcard host becomes this host\'s first non-loopback IPv4)' }),
  version: z.union([z.literal(2), z.literal(3)], { error: 'version: 2 (xxl-job 2.x: content, /run) or 3 (3.x: data)' }).optional()
    .meta({ description: 'wire version of the admin: 2 for xxl-job 2.3/2.4, 3 for 3.x (default 2)' }),
});
export type RawXxlJob = z.infer<typeof xxljobSchema>;

export function normalizeXxlJob(raw: RawXxlJob): XxlJobSettings {
  const admin = (Array.isArray(raw.admin) ? raw.admin : [raw.admin]).map((a) => a.replace(/\/+$/, ''));
  return {
    admin,
    appname: raw.appname,
    ...(raw.access_token !== undefined ? { accessToken: raw.access_token } : {}),
    listen: raw.listen,
    ...(raw.address !== undefined ? { address: raw.address } : {}),
    version: raw.version ?? 2,
  };
}
