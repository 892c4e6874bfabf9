/**
 * What a daemon of an older protocol says differently, read as this version says it. The
 * client passes every reply and push through here (client.ts), so a fleet of mixed versions
 * and `--host` to an older daemon show one vocabulary.
 *
 * Protocol < 3 named the long-running kind `daemon`; it is `service` since (the word
 * "daemon" is the supervisor's alone).
 */

/** Old kind word -> this version's. */
const KIND_RENAMES: Readonly<Record<string, string>> = { daemon: 'service' };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A task (status, or a task of `elsewhere`) with its kind in this version's word. */
function withKind(t: unknown): unknown {
  if (!isObj(t)) return t;
  const now = Object.hasOwn(KIND_RENAMES, String(t.kind)) ? KIND_RENAMES[String(t.kind)] : undefined;
  return now === undefined ? t : { ...t, kind: now };
}

const each = (v: unknown): unknown => (Array.isArray(v) ? v.map(withKind) : v);

/** A reply's result as this version says it (status, control, run, scale, plan, reload carry tasks). */
export function readReply(result: unknown): unknown {
  if (!isObj(result)) return result;
  const out: Obj = { ...result };
  if ('tasks' in out) out.tasks = each(out.tasks);
  if ('elsewhere' in out) out.elsewhere = each(out.elsewhere);
  if ('task' in out) out.task = withKind(out.task);
  return out;
}

/** A push's data as this version says it (`state` carries a task's status). */
export function readPush<M extends { event?: unknown; data?: unknown }>(msg: M): M {
  return msg.event === 'state' ? { ...msg, data: withKind(msg.data) } : msg;
}
