import { isFinalRunState } from '../core/cron-run-machine.js';
import type { RunRecord } from '../shared/types.js';
import type { HistorySummary, RunHistory } from './run-history.js';

/** RunHistory in memory, for tests; `retain` forgets records (there are no log files). */
export class MemoryRunHistory implements RunHistory {
  private readonly runs = new Map<string, RunRecord[]>();
  /** Writes done, for tests. */
  writes: RunRecord[] = [];

  write(record: RunRecord): void {
    const records = this.runs.get(record.task) ?? [];
    this.runs.set(record.task, records);
    const i = records.findLastIndex((r) => r.id === record.id);
    if (i >= 0) records[i] = { ...record };
    else records.push({ ...record });
    this.writes.push({ ...record });
  }

  list(task: string, limit?: number): RunRecord[] {
    const all = (this.runs.get(task) ?? []).map((r) => ({ ...r }));
    return limit === undefined ? all : all.slice(-limit);
  }

  summary(task: string): HistorySummary {
    return summarize(this.runs.get(task) ?? []);
  }

  retain(task: string, keep: number): void {
    const records = this.runs.get(task);
    if (!records) return;
    const drop = dropped(records, keep);
    if (drop.size) this.runs.set(task, records.filter((r) => !drop.has(r.id)));
  }

  forget(task: string): void {
    this.runs.delete(task);
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {}
}

/** Ids of the oldest finished runs beyond `keep`. */
function dropped(records: readonly RunRecord[], keep: number): Set<string> {
  const finished = records.filter((r) => isFinalRunState(r.state));
  const excess = finished.length - keep;
  return new Set(excess > 0 ? finished.slice(0, excess).map((r) => r.id) : []);
}

export function summarize(records: readonly RunRecord[]): HistorySummary {
  let last: RunRecord | undefined;
  let lastFinished: RunRecord | undefined;
  let retries = 0;
  const unfinished: RunRecord[] = [];
  for (const r of records) {
    if (r.startedAt !== undefined) last = r;
    if (r.state !== 'skipped' && isFinalRunState(r.state)) lastFinished = r;
    if (!isFinalRunState(r.state)) unfinished.push({ ...r });
    if (r.trigger === 'retry') retries++;
  }
  return {
    ...(last ? { last: { ...last } } : {}),
    ...(lastFinished ? { lastFinished: { ...lastFinished } } : {}),
    unfinished, retries, total: records.length,
  };
}
