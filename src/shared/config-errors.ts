import type { ConfigIssue } from './types.js';

/**
 * The one line that heads a list of config errors, in status, plan, the TUI and the daemon
 * log. It claims a "last good version" only for files that had one (`keptFiles`); a file
 * that was never valid since the daemon started is simply not loaded.
 */
export function configErrorHeadline(errors: ConfigIssue[], keptFiles: string[] = []): string {
  const n = `${errors.length} config error${errors.length === 1 ? '' : 's'}`;
  const files = [...new Set(errors.map((e) => e.file))];
  const kept = files.filter((f) => keptFiles.includes(f) || keptFiles.some((k) => f.startsWith(`${k}/`)));
  const notLoaded = files.filter((f) => !kept.includes(f));
  const parts: string[] = [];
  if (kept.length) parts.push(`the last good version of ${kept.join(', ')} keeps running`);
  if (notLoaded.length) parts.push(`${notLoaded.join(', ')} ${notLoaded.length === 1 ? 'is' : 'are'} not loaded until fixed`);
  return `${n}; ${parts.join('; ')}`;
}
