import { z } from 'zod';

/** `host:port` or `[v6]:port`, split; undefined when malformed. */
export function parseListen(v: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(v.trim());
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return undefined;
  return { host: (m[1] ?? m[2])!, port };
}

/** A `host:port` listen address, checked. */
export const listenSchema = z
  .string({ error: 'must be "host:port", e.g. 127.0.0.1:9464' })
  .refine((v) => parseListen(v) !== undefined, { error: 'must be "host:port" with a port 1..65535, e.g. 127.0.0.1:9464 or [::1]:9464' })
  .meta({ description: 'host:port to listen on; loopback unless you write another address' });
