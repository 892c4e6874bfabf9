import { useEffect, useState } from 'react';
import type { RunRecord } from '../../shared/types.js';
import type { TuiBackend } from '../backend.js';

/** Recent runs of a cron task, refetched when its last run changes. */
export function useHistory(backend: TuiBackend, task: string | undefined, isCron: boolean, version: string, connected: boolean): RunRecord[] {
  const [runs, setRuns] = useState<RunRecord[]>([]);
  useEffect(() => {
    if (!task || !isCron || !connected) {
      setRuns([]);
      return;
    }
    let live = true;
    backend.history(task, 20).then((r) => live && setRuns(r), () => live && setRuns([]));
    return () => {
      live = false;
    };
  }, [backend, task, isCron, version, connected]);
  return runs;
}
