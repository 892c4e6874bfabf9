import { useMemo, useState } from 'react';
import type { TaskStatus } from '../../shared/protocol.js';
import type { RunRecord } from '../../shared/types.js';
import type { LogTarget } from '../backend.js';

/**
 * The next log selection after `[` (dir -1) or `]` (+1). -1 is "all instances" / "the latest
 * runs". A daemon task's instances go round: `[` the previous, `]` the next. A cron task's runs
 * are counted from the newest (0): `[` goes to an earlier run, `]` to a later one, and past
 * the newest back to the latest runs; neither goes round.
 */
export function nextLogSelection(kind: TaskStatus['kind'], sel: number, count: number, dir: 1 | -1): number {
  if (kind === 'daemon') {
    const next = sel + dir;
    return next < -1 ? count - 1 : next >= count ? -1 : next;
  }
  return dir === -1 ? Math.min(count - 1, sel + 1) : Math.max(-1, sel - 1);
}

/** The selected task's log: which one (`[` `]`), and the words for the log's title. */
export function useLogTarget(task: TaskStatus | undefined, key: string | undefined, runs: RunRecord[]) {
  const [sel, setSel] = useState(-1);
  const target: LogTarget | undefined = useMemo(() => {
    if (!task || !key) return undefined;
    if (task.kind === 'daemon') return sel >= 0 ? { task: key, instance: sel } : { task: key };
    // runs are oldest first: the newest is the last
    const run = sel >= 0 ? runs[runs.length - 1 - sel]?.id : undefined;
    return run ? { task: key, run } : { task: key };
  }, [key, task?.kind, sel, runs]);
  const label = !task ? '' : task.kind === 'daemon'
    ? (sel >= 0 ? `instance ${sel}` : 'all instances')
    : target?.run ? `run ${target.run} (${sel === 0 ? 'newest' : `${sel} before the newest`})` : 'latest runs';
  return { target, label, sel, setSel };
}
