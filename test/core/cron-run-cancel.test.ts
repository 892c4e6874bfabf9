import { describe, expect, it } from 'vitest';
import { cronTransition, initialCronSnapshot, type CronEffect, type CronEvent, type CronSnapshot, type RunRef } from '../../src/core/cron-run-machine.js';
import type { OverlapPolicy, RunTrigger } from '../../src/shared/types.js';

/** The cron run machine's parts that serve an xxl-job admin: cancel one run, no retry of a run that says so. */

/** An admin's trigger as the xxl-job run port makes it: `retries: 0`, the admin retries on its own. */
const ref = (id: string, overlap: OverlapPolicy = 'queue', trigger: RunTrigger = 'xxljob'): RunRef => ({ id, scheduledAt: 0, trigger, attempt: 1, overlap, ...(trigger === 'xxljob' ? { retries: 0 } : {}) });
const bad = { code: 1, signal: null, timedOut: false, killed: false };

function drive(events: CronEvent[], from: CronSnapshot = initialCronSnapshot(), retries = 0): { s: CronSnapshot; out: string[] } {
  let s = from;
  const out: string[] = [];
  for (const e of events) {
    const t = cronTransition(s, e, { retries, retryDelayMs: 1000 });
    s = t.next;
    out.push(...t.effects.map(show));
  }
  return { s, out };
}

function show(e: CronEffect): string {
  if (e.type === 'state') return `${e.run.id}:${e.state}${e.message ? ` (${e.message})` : ''}`;
  if (e.type === 'spawn') return `spawn ${e.run.id}`;
  if (e.type === 'stop-run') return `stop ${e.id} (${e.reason})`;
  if (e.type === 'retry') return `retry ${e.run.id}`;
  return e.type;
}

describe('cancel one run', () => {
  it('a running run is stopped once and ends as killed; the waiting one then starts', () => {
    const { s, out } = drive([
      { type: 'fire', run: ref('a') }, { type: 'fire', run: ref('b') },
      { type: 'cancel', id: 'a', reason: 'kill' }, { type: 'cancel', id: 'a', reason: 'kill' },
      { type: 'ended', id: 'a', end: { code: null, signal: 'SIGTERM', timedOut: false, killed: true, message: 'kill' } },
    ]);
    expect(out).toEqual([
      'a:running', 'spawn a', 'b:queued (waiting for the previous run (overlap: queue))',
      'stop a (kill)', 'a:killed (kill)', 'b:running', 'spawn b',
    ]);
    expect(s.running.map((r) => r.id)).toEqual(['b']);
  });

  it('a waiting run is skipped with the reason; an unknown id changes nothing', () => {
    const { s, out } = drive([{ type: 'fire', run: ref('a') }, { type: 'fire', run: ref('b') }, { type: 'cancel', id: 'b', reason: 'kill' }, { type: 'cancel', id: 'zz', reason: 'kill' }]);
    expect(out.slice(-1)).toEqual(['b:skipped (kill)']);
    expect(s.waiting).toBeUndefined();
    expect(s.running.map((r) => r.id)).toEqual(['a']);
  });

  it('a backlog run is skipped', () => {
    const { s, out } = drive([{ type: 'fire', run: ref('a') }, { type: 'backlog', runs: [ref('c', 'skip', 'catchup')] }, { type: 'cancel', id: 'c', reason: 'no' }]);
    expect(out.slice(-1)).toEqual(['c:skipped (no)']);
    expect(s.backlog).toEqual([]);
  });
});

describe('a run with its own retries (an admin trigger: 0, the admin has its own retry count)', () => {
  it('a failed xxljob run gets no retry effect; a scheduled one does', () => {
    expect(drive([{ type: 'fire', run: ref('a') }, { type: 'ended', id: 'a', end: bad }], initialCronSnapshot(), 2).out).not.toContain('retry a');
    expect(drive([{ type: 'fire', run: ref('s', 'skip', 'schedule') }, { type: 'ended', id: 's', end: bad }], initialCronSnapshot(), 2).out).toContain('retry s');
  });
});
