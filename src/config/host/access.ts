import { z } from 'zod';
import type { AccessRule } from '../../shared/types.js';

/** An operator's name: what `jobctl dial-stdio --as NAME` and `access:` say. */
export const OPERATOR_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const OPERATOR_NAME_HINT = 'an operator name is 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit (e.g. alice)';

const SCOPE_HINT = 'a scope entry is a task name, a glob (report-*) or a group (@billing)';
const scopeEntry = z
  .string({ error: SCOPE_HINT })
  .regex(/^@?[A-Za-z0-9._*?[\]!-]{1,200}$/, { error: SCOPE_HINT });

/** One operator under `access:`. */
export const accessRuleSchema = z
  .strictObject({
    role: z.enum(['viewer', 'operator', 'admin'], { error: 'role is viewer (status, logs, history), operator (+ start, stop, restart, run, kill, scale) or admin (+ reload, down)' })
      .meta({ description: 'viewer: status, logs, history, next, plan; operator: + start, stop, restart, run, kill, scale; admin: + reload, down and the daemon-wide calls' }),
    tasks: z.array(scopeEntry, { error: 'tasks: is a list of task names, globs and @groups, e.g. ["@billing", "report-*"]' })
      .min(1, { error: 'tasks: names at least one task, glob or @group (leave tasks: out for every task)' })
      .optional()
      .meta({ description: 'the tasks this operator may see and act on: names, globs, @groups; absent = every task' }),
  });

/** Why a well-formed rule is wrong, or undefined. */
export function accessRuleProblem(raw: RawAccessRule): string | undefined {
  return raw.role === 'admin' && raw.tasks ? 'tasks: an admin acts on the whole daemon (reload, down); tasks: limits a viewer or an operator' : undefined;
}

/** `access:` in jobctl.yaml: operators by name (docs/access.md). */
export const accessSchema = z
  .record(z.string(), accessRuleSchema)
  .meta({ description: 'who may see and do what over SSH: operator name -> {role, tasks}; the forced command `jobctl dial-stdio --as NAME` names the operator' });

export type RawAccessRule = z.infer<typeof accessRuleSchema>;

export function normalizeAccessRule(raw: RawAccessRule): AccessRule {
  return { role: raw.role, ...(raw.tasks ? { tasks: [...new Set(raw.tasks)] } : {}) };
}
