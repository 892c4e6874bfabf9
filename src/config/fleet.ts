import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { parseAddress, type DaemonAddress } from '../shared/address.js';
import { JobctlError, errorMessage } from '../shared/errors.js';
import type { ConfigIssue } from '../shared/types.js';
import { DURATION_HINT, parseDuration } from './units.js';
import { parseYamlFile } from './yaml-file.js';
import { zodProblems } from './zod-issues.js';

/**
 * `fleet.yaml`: the inventory of `jobctl fleet` (DESIGN.md "A fleet view"). Host name ->
 * address (`ssh://[user@]host[:port][/home]` or `local`) and labels; a bare string is the
 * address alone.
 *
 * ```yaml
 * timeout: 5s
 * hosts:
 *   web1: {address: ssh://deploy@web1/srv/jobctl, labels: [web]}
 *   here: local
 * ```
 */

export const FLEET_FILE = 'fleet.yaml';
/** @default 5s */
export const DEFAULT_FLEET_TIMEOUT_MS = 5000;

const HOST_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const LABEL_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

const address = z.string({ error: 'an address is ssh://[user@]host[:port][/home] or local' }).refine((v) => {
  try {
    parseAddress(v);
    return true;
  } catch {
    return false;
  }
}, { error: 'an address is ssh://[user@]host[:port][/home] or local' });

const hostObjectSchema = z.strictObject({
  address: address.meta({ description: 'ssh://[user@]host[:port][/home] or local' }),
  labels: z.array(z.string().regex(LABEL_RE, { error: 'a label is letters, digits, ".", "_" or "-"' })).optional()
    .meta({ description: 'names for targets such as web:worker' }),
});
/** A bare string is the address; a map has address and labels. */
const hostSchema = z.union([address, hostObjectSchema]);

export const fleetFileSchema = z.strictObject({
  timeout: z.union([z.number(), z.string()]).refine((v) => parseDuration(v) !== undefined, { error: `invalid duration: ${DURATION_HINT}` }).optional()
    .meta({ description: 'how long each host has to answer (default 5s)' }),
  hosts: z.record(z.string().regex(HOST_NAME_RE, { error: 'a host name is letters, digits, ".", "_" or "-"' }), hostSchema)
    .refine((h) => Object.keys(h).length > 0, { error: 'name at least one host' }),
});

/** The file as checked: each host against the form it is written in, so errors point inside it. */
const checkedSchema = z.strictObject({
  timeout: fleetFileSchema.shape.timeout,
  hosts: z.record(z.string().regex(HOST_NAME_RE, { error: 'a host name is letters, digits, ".", "_" or "-"' }),
    z.unknown().superRefine((v, ctx) => {
      const r = (typeof v === 'object' && v !== null && !Array.isArray(v) ? hostObjectSchema : address).safeParse(v, { reportInput: true });
      if (!r.success) for (const issue of r.error.issues) ctx.addIssue({ ...issue } as Parameters<typeof ctx.addIssue>[0]);
    }))
    .refine((h) => Object.keys(h).length > 0, { error: 'name at least one host' }),
});

export interface FleetHost {
  name: string;
  /** As written in fleet.yaml. */
  addressText: string;
  address: DaemonAddress;
  labels: string[];
}

export interface Fleet {
  file: string;
  hosts: FleetHost[];
  /** Per-host answer time. */
  timeoutMs: number;
}

/** Where the inventory is: `--fleet FILE`, else JOBCTL_FLEET, else `<home>/fleet.yaml`. */
export function fleetPath(flag: string | undefined, env: NodeJS.ProcessEnv, home: string, cwd = process.cwd()): string {
  if (flag) return path.resolve(cwd, flag);
  if (env.JOBCTL_FLEET) return path.resolve(cwd, env.JOBCTL_FLEET);
  return path.join(home, FLEET_FILE);
}

/** Parse the text of a fleet.yaml; problems are FILE:LINE:COL issues. */
export function parseFleet(text: string, file: string, display = file): { fleet?: Fleet; errors: ConfigIssue[] } {
  const yaml = parseYamlFile(text, display);
  if (yaml.syntaxErrors.length) return { errors: yaml.syntaxErrors };
  const parsed = checkedSchema.safeParse(yaml.data ?? {}, { reportInput: true });
  if (!parsed.success) {
    const known = (at: ReadonlyArray<string | number>) => (at.length === 0 ? ['timeout', 'hosts'] : at.length === 2 ? ['address', 'labels'] : []);
    const errors = zodProblems(parsed.error, known).map((p) => {
      const { line, col } = yaml.locate(p.path, p.atKey ? 'key' : 'value');
      return { file: display, line, col, message: p.message };
    });
    return { errors };
  }
  const hosts = Object.entries(parsed.data.hosts as Record<string, z.infer<typeof hostSchema>>).map(([name, h]): FleetHost => {
    const addressText = typeof h === 'string' ? h : h.address;
    return { name, addressText, address: parseAddress(addressText), labels: typeof h === 'string' ? [] : [...new Set(h.labels ?? [])] };
  });
  return {
    fleet: { file, hosts, timeoutMs: parsed.data.timeout === undefined ? DEFAULT_FLEET_TIMEOUT_MS : parseDuration(parsed.data.timeout)! },
    errors: [],
  };
}

/** Read the inventory or throw one line that says what to do. */
export function loadFleet(file: string): Fleet {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new JobctlError('NOT_FOUND', `no fleet inventory at ${file}: write one (hosts: {web1: ssh://user@web1/srv/jobctl}) or pass --fleet FILE`);
    }
    throw new JobctlError('IO_ERROR', `cannot read ${file}: ${errorMessage(e)}`);
  }
  const { fleet, errors } = parseFleet(text, file);
  if (!fleet) {
    const e = errors[0]!;
    throw new JobctlError('INVALID_CONFIG', `${e.file}:${e.line}:${e.col}: ${e.message}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''}`);
  }
  return fleet;
}
