import { z } from 'zod';
import { MAX_INSTANCES } from './limits.js';

/**
 * The params of every socket method (DESIGN.md "Socket protocol"): the single source. The
 * daemon does not load zod: it checks requests with shared/protocol-checks.generated.ts, made
 * from these schemas by `npm run schema` (scripts/generate-protocol-checks.ts); a test holds
 * the two equal. Types (`Params`, the handlers' arguments) come from here.
 */

const name = z.string().min(1).max(200);
/** A task name, `@group`, or `*` for every task. */
const target = z.string().min(1).max(200);

export const METHOD_PARAMS = {
  hello: z.strictObject({ client: z.string().max(200).optional() }),
  /**
   * Names the operator of this connection (docs/access.md). Sent by `jobctl dial-stdio --as NAME`
   * before it forwards the client's bytes; once per connection, and only ever lowers the rights
   * (a connection to the owner-only socket is its owner, admin). `from`: where the operator
   * connects from (SSH_CONNECTION), for the audit trail.
   */
  identify: z.strictObject({ operator: name, from: z.string().max(200).optional() }),
  status: z.strictObject({ target: target.optional(), allHosts: z.boolean().optional() }),
  start: z.strictObject({ target, wait: z.boolean().optional() }),
  stop: z.strictObject({ target }),
  restart: z.strictObject({
    target, wait: z.boolean().optional(),
    /** One instance at a time, each waiting until its replacement runs (or is healthy). */
    rolling: z.boolean().optional(),
    /** With `rolling`: how long one instance may take to be replaced, ms. */
    stepTimeout: z.number().int().min(100).max(24 * 3_600_000).optional(),
  }),
  run: z.strictObject({ task: name }),
  kill: z.strictObject({ task: name, signal: z.string().max(20).optional() }),
  logs: z.strictObject({
    task: name,
    lines: z.number().int().min(0).max(100_000).optional(),
    instance: z.number().int().min(0).optional(),
    run: z.string().max(100).optional(),
    /** Only lines at or after this time (epoch ms; needs timestamps). */
    since: z.number().optional(),
    follow: z.boolean().optional(),
  }),
  history: z.strictObject({ task: name, limit: z.number().int().min(1).max(10_000).optional() }),
  /** `dir`: plan another task directory (absolute, on the daemon's host); `rev`: a git revision of tasks/'s repository. */
  plan: z.strictObject({ dir: z.string().min(1).max(4096).optional(), rev: z.string().min(1).max(256).optional() }),
  reload: z.strictObject({}),
  /** `recent` (protocol 2): with 'event', the reply also carries the daemon's last N events (it keeps 200). */
  subscribe: z.strictObject({ events: z.array(z.enum(['state', 'event'])).min(1), recent: z.number().int().min(0).max(200).optional() }),
  unsubscribe: z.strictObject({ subscription: z.number().int() }),
  scale: z.strictObject({ task: name, count: z.union([z.number().int().min(0).max(MAX_INSTANCES), z.literal('auto')]) }),
  'notify-test': z.strictObject({ notifier: name }),
  shutdown: z.strictObject({ now: z.boolean().optional() }),
  /** The newest entries of the audit trail (`state/audit.jsonl`), oldest first; admin only. */
  audit: z.strictObject({ limit: z.number().int().min(1).max(100_000).optional() }),
} as const;
