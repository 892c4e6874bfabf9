import { useMemo, useState } from 'react';
import type { TaskStatus } from '../../shared/protocol.js';
import type { RunRecord } from '../../shared/types.js';
import type { LogTarget } from '../backend.js';

/**
 * The next log selection after `[` (dir -1) or `]` (+1). -1 is "all instances" / "the latest
 * runs". A service task's instances go round: `[` the previous, `]` the next. A cron task's runs
 * are counted from the newest (0): `[` goes to an earlier run, `]` to a later one, and past
 * the newest back to the latest runs; neither goes round.
 */
export function nextLogSelection(kind: TaskStatus['kind'], sel: number, count: number, dir: 1 | -1): number {
  if (kind === 'service') {
    const next = sel + dir;
    return next < -1 ? count - 1 : next >= count ? -1 : next;
  }
  return dir === -1 ? Math.min(count - 1, sel + 1) : Math.max(-1, sel - 1);
}

/**
 * The selected task's log: which one (`[` `]`), and the words for the log's title. A service
 * task's instance is kept by its index; a cron task's run by its id, so the run being read
 * stays that run when newer ones come (an index from the newest moved at every firing).
 */
export function useLogTarget(task: TaskStatus | undefined, key: string | undefined, runs: RunRecord[]) {
  const [instance, setInstance] = useState(-1);
  const [runId, setRunId] = useState<string | undefined>();
  const target: LogTarget | undefined = useMemo(() => {
    if (!task || !key) return undefined;
    if (task.kind === 'service') return instance >= 0 ? { task: key, instance } : { task: key };
    return runId ? { task: key, run: runId } : { task: key };
  }, [key, task?.kind, instance, runId]);
  // runs are oldest first: how many runs came after the one read (0: the newest)
  const back = (list: RunRecord[], id: string | undefined) => {
    const at = id === undefined ? -1 : list.findIndex((r) => r.id === id);
    return at === -1 ? -1 : list.length - 1 - at;
  };
  const b = back(runs, runId);
  const label = !task ? '' : task.kind === 'service'
    ? (instance >= 0 ? `instance ${instance}` : 'all instances')
    : runId ? `run ${runId}${b === 0 ? ' (newest)' : b > 0 ? ` (${b} before the newest)` : ''}` : 'latest runs';
  return {
    target, label,
    /** `[` (-1) / `]` (+1) on this task, with its instances' count and its runs as they are now. */
    step(kind: TaskStatus['kind'], dir: 1 | -1, instances: number, list: RunRecord[]): void {
      if (kind === 'service') return setInstance((s) => nextLogSelection(kind, s, instances, dir));
      setRunId((id) => {
        const next = nextLogSelection(kind, back(list, id), list.length, dir);
        return next >= 0 ? list[list.length - 1 - next]?.id : undefined;
      });
    },
    /** Back to every instance / the latest runs (another task). */
    reset(): void {
      setInstance(-1);
      setRunId(undefined);
    },
  };
}
