import type { ConfigIssue } from '../../shared/types.js';

/** `FILE:LINE:COL task "NAME": MESSAGE` (position and task left out when unknown). */
export function formatIssue(e: ConfigIssue): string {
  const where = e.line > 0 ? `${e.file}:${e.line}:${e.col}` : e.file;
  return `${where}${e.task !== undefined ? ` task "${e.task}"` : ''}: ${e.message}`;
}
