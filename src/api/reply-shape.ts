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
