import type { Method } from '../shared/protocol.js';

/**
 * The client's check of what the far side answered: a peer that is not a jobctl daemon (or a
 * broken one) gets one clear line instead of a TypeError deep in a command. Checked: the
 * reply is an object, and the fields the commands read first have their types.
 */
type Check = (r: Record<string, unknown>) => string | undefined;

const isNum = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
const isStrArray = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'string');

const CHECKS: Partial<Record<Method, Check>> = {
  hello: (r) => (!isNum(r.protocol) ? 'protocol' : !isNum(r.pid) ? 'pid' : typeof r.home !== 'string' ? 'home' : typeof r.version !== 'string' ? 'version' : undefined),
  status: (r) => (!Array.isArray(r.tasks) || !r.tasks.every((t) => typeof t === 'object' && t !== null && typeof (t as { name?: unknown }).name === 'string') ? 'tasks' : undefined),
  logs: (r) => (!isStrArray(r.lines) ? 'lines' : !isStrArray(r.files) ? 'files' : undefined),
  history: (r) => (!Array.isArray(r.runs) || !r.runs.every((x) => typeof x === 'object' && x !== null) ? 'runs' : undefined),
};

/** Why a result cannot be the answer to `method`, or undefined when it can. */
export function badReply(method: string, result: unknown): string | undefined {
  if (result === undefined) return `a reply to "${method}" without a result`;
  const check = CHECKS[method as Method];
  if (!check) return undefined;
  if (typeof result !== 'object' || result === null || Array.isArray(result)) return `a reply to "${method}" that is not an object`;
  const field = check(result as Record<string, unknown>);
  return field ? `a reply to "${method}" with a malformed "${field}"` : undefined;
}

const isStr = (v: unknown) => typeof v === 'string';
const PUSH_CHECKS: Record<string, Check> = {
  state: (d) => (!isStr(d.name) ? 'name' : undefined),
  removed: (d) => (!isStr(d.name) ? 'name' : undefined),
  log: (d) => (!isNum(d.subscription) ? 'subscription' : !isStr(d.task) ? 'task' : !isStr(d.text) ? 'text' : undefined),
  'log-end': (d) => (!isNum(d.subscription) ? 'subscription' : !isStr(d.reason) ? 'reason' : undefined),
  'log-skipped': (d) => (!isNum(d.subscription) ? 'subscription' : !isNum(d.bytes) ? 'bytes' : undefined),
  dropped: (d) => (!isStr(d.reason) ? 'reason' : undefined),
  event: (d) => (!isStr(d.message) ? 'message' : !isNum(d.at) ? 'at' : undefined),
};

/**
 * Why a push cannot be what it says it is, or undefined when it can: the event is a string
 * and its data an object with the fields the client and commands read first.
 */
export function badPush(msg: { event?: unknown; data?: unknown }): string | undefined {
  if (typeof msg.event !== 'string') return 'a push without an event name';
  if (typeof msg.data !== 'object' || msg.data === null || Array.isArray(msg.data)) return `a "${msg.event}" push without data`;
  const check = PUSH_CHECKS[msg.event];
  const field = check?.(msg.data as Record<string, unknown>);
  return field ? `a "${msg.event}" push with a malformed "${field}"` : undefined;
}
