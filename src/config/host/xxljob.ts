import { z } from 'zod';
import type { XxlJobSettings } from '../../shared/types.js';
import { listenSchema, parseListen } from './listen.js';

const url = z
  .string({ error: 'must be an http(s) URL, e.g. http://admin.internal:8080/xxl-job-admin' })
  .regex(/^https?:\/\/[^\s]+$/, { error: 'must be an http(s) URL, e.g. http://admin.internal:8080/xxl-job-admin' });

/** `xxljob:` in jobctl.yaml: executor mode for an xxl-job admin (shared/xxl-job.md). */
export const xxljobSchema = z.strictObject({
  admin: z.union([url, z.array(url).min(1)]).meta({ description: 'admin address(es), e.g. http://127.0.0.1:8080/xxl-job-admin' }),
  appname: z.string().trim().min(1).max(64).meta({ description: 'the executor AppName registered with the admin' }),
  access_token: z.string().optional().meta({ description: 'the admin\'s xxl.job.accessToken; ${ENV_VAR} allowed' }),
  listen: listenSchema.optional().meta({ description: 'host:port of the executor\'s HTTP server (default 127.0.0.1:9999)' }),
  address: url.optional().meta({ description: 'address to register (default http://<listen>/)' }),
  version: z.union([z.literal(2), z.literal(3)], { error: 'must be 2 (2.x: content, /run) or 3 (3.x: data)' }).optional()
    .meta({ description: 'wire version of the admin: 2 or 3 (default 2)' }),
});
export type RawXxlJob = z.infer<typeof xxljobSchema>;

/** @default listen 127.0.0.1:9999 */
export const DEFAULT_XXLJOB_LISTEN = '127.0.0.1:9999';

export function normalizeXxlJob(raw: RawXxlJob): XxlJobSettings {
  const listen = raw.listen ?? DEFAULT_XXLJOB_LISTEN;
  const { host, port } = parseListen(listen)!;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    admin: (Array.isArray(raw.admin) ? raw.admin : [raw.admin]).map((a) => a.replace(/\/+$/, '')),
    appname: raw.appname,
    ...(raw.access_token !== undefined ? { accessToken: raw.access_token } : {}),
    listen,
    address: raw.address ?? `http://${shown}:${port}/`,
    version: raw.version ?? 2,
  };
}
