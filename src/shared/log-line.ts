/** The shape of a stamped log line: `2026-11-21T08:12:00.123Z [out] text`. Pure. */

const STAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) /;

/** Time of a stamped line, or undefined for raw lines. */
export function lineTime(line: string): number | undefined {
  const m = STAMP.exec(line);
  return m ? Date.parse(m[1]!) : undefined;
}

/**
 * Mark which instance wrote a line, for a merged view of several instances: after the
 * timestamp of a stamped line (`2026-…Z #1 [out] text`, so merging by time still works),
 * else at its start (`#1 text`).
 */
export function tagInstance(line: string, instance: number): string {
  const m = STAMP.exec(line);
  return m ? `${m[1]} #${instance} ${line.slice(m[0].length)}` : `#${instance} ${line}`;
}

/** The instance tag of a line tagged by tagInstance, and the line without it. */
export function splitInstanceTag(line: string): { instance?: number; line: string } {
  const stamped = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) #(\d+) /.exec(line);
  if (stamped) return { instance: Number(stamped[2]), line: `${stamped[1]} ${line.slice(stamped[0].length)}` };
  const raw = /^#(\d+) /.exec(line);
  return raw ? { instance: Number(raw[1]), line: line.slice(raw[0].length) } : { line };
}

/** Merge stamped lines of several sources by time (stable); raw lines keep their order. */
export function mergeByTime(groups: string[][]): string[] {
  const all = groups.flatMap((g, gi) => g.map((line, li) => ({ line, t: lineTime(line) ?? -1, gi, li })));
  if (all.every((x) => x.t < 0)) return groups.flat();
  return all.sort((a, b) => a.t - b.t || a.gi - b.gi || a.li - b.li).map((x) => x.line);
}
