import type { RunRecord } from '../../src/shared/types.js';
import { clock, formatDuration, stateClass } from './format.js';

/** The last runs, newest first: when each started, how long it took (a bar), how it ended. Click one for its log. */
export function Timeline({ runs, now, selected, onSelect }: { runs: RunRecord[]; now: number; selected: string | undefined; onSelect(id: string): void }) {
  const rows = [...runs].reverse();
  const took = (r: RunRecord) => (r.startedAt === undefined ? 0 : (r.endedAt ?? now) - r.startedAt);
  const longest = Math.max(1, ...rows.map(took));
  if (rows.length === 0) return <p className="empty">No run yet.</p>;
  return (
    <ol className="timeline">
      {rows.map((r) => (
        <li key={r.id} className={selected === r.id ? 'selected' : ''}>
          <button type="button" data-run={r.id} onClick={() => onSelect(r.id)} title={`run ${r.id}: ${r.trigger}, attempt ${r.attempt}${r.message ? ` — ${r.message}` : ''}`}>
            <span className="when">{clock(r.startedAt ?? r.scheduledAt)}</span>
            <span className="bar-box"><span className={`bar ${stateClass(r.state)}`} style={{ width: `${Math.max(2, (took(r) / longest) * 100)}%` }} /></span>
            <span className="took">{r.startedAt !== undefined ? formatDuration(took(r)) : '-'}</span>
            <span className={`badge ${stateClass(r.state)}`}>{r.state}{r.exitCode ? ` (${r.exitCode})` : r.signal ? ` (${r.signal})` : ''}</span>
            <span className="trigger">{r.trigger}</span>
          </button>
        </li>
      ))}
    </ol>
  );
}
