/** Task and notifier names: also used in file paths, so checked before any path is built from them. */
export const TASK_NAME_RE = /^[a-z0-9][a-z0-9._-]{0,62}$/;
export const NAME_HINT = 'use 1-63 lowercase letters, digits, ".", "_" or "-", starting with a letter or digit';

export function isValidTaskName(name: string): boolean {
  return TASK_NAME_RE.test(name) && name !== '.' && name !== '..';
}

/** An operator's name: what `jobctl dial-stdio --as NAME` and `access:` say (here, so the bridge loads no schema library). */
export const OPERATOR_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const OPERATOR_NAME_HINT = 'an operator name is 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit (e.g. alice)';
