/**
 * The kind's word on the wire. The long-running kind is `service` everywhere a person reads
 * it (status, `--json`, the TUI, the web view, metrics, docs); on the socket it stays `daemon`,
 * the word of protocol ≤ 2, so that a CLI older than the daemon — the operator's laptop lags
 * the hosts — still reads a service as one (a protocol-2 client would draw it as a cron task).
 * The daemon writes every reply and push through `writeReply`/`writePush` (api/server.ts); the
 * client reads them through `readReply`/`readPush` (api/client.ts), from this daemon and an
 * older one alike.
 */

/** The kind's word in this version -> on the wire, and back. */
const TO_WIRE: Readonly<Record<string, string>> = { service: 'daemon' };
const FROM_WIRE: Readonly<Record<string, string>> = { daemon: 'service' };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A task (status, or a task of `elsewhere`) with its kind in the other word. */
function renamed(t: unknown, words: Readonly<Record<string, string>>): unknown {
  if (!isObj(t)) return t;
  const now = Object.hasOwn(words, String(t.kind)) ? words[String(t.kind)] : undefined;
  return now === undefined ? t : { ...t, kind: now };
}

/** A reply's result with its tasks' kinds in the other word (status, control, run, scale, plan, reload carry tasks). */
function reply(result: unknown, words: Readonly<Record<string, string>>): unknown {
  if (!isObj(result) || !('tasks' in result || 'elsewhere' in result || 'task' in result)) return result;
  const each = (v: unknown): unknown => (Array.isArray(v) ? v.map((t) => renamed(t, words)) : v);
  const out: Obj = { ...result };
  if ('tasks' in out) out.tasks = each(out.tasks);
  if ('elsewhere' in out) out.elsewhere = each(out.elsewhere);
  if ('task' in out) out.task = renamed(out.task, words);
  return out;
}

/** A push with its task's kind in the other word (`state` carries a task's status). */
function push<M extends { event?: unknown; data?: unknown }>(msg: M, words: Readonly<Record<string, string>>): M {
  return msg.event === 'state' ? { ...msg, data: renamed(msg.data, words) } : msg;
}

/** A reply's result as this version says it (client side). */
export const readReply = (result: unknown): unknown => reply(result, FROM_WIRE);
/** A push as this version says it (client side). */
export const readPush = <M extends { event?: unknown; data?: unknown }>(msg: M): M => push(msg, FROM_WIRE);
/** A reply's result as the wire says it (daemon side). */
export const writeReply = (result: unknown): unknown => reply(result, TO_WIRE);
/** A push as the wire says it (daemon side). */
export const writePush = <M extends { event?: unknown; data?: unknown }>(msg: M): M => push(msg, TO_WIRE);
