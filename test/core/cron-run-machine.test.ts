import { describe, expect, it } from 'vitest';
import {
  SKIP_REASONS, abandonedRunState, cronTransition, initialCronSnapshot, type CronEffect, type CronEvent, type CronSnapshot, type RunRef,
} from '../../src/core/cron-run-machine.js';
import type { OverlapPolicy, RunTrigger } from '../../src/shared/types.js';

const cfg = { retries: 0, retryDelayMs: 1000 };
const ref = (id: string, overlap: OverlapPolicy = 'skip', trigger: RunTrigger = 'schedule', attempt = 1): RunRef => ({ id, scheduledAt: 0, trigger, attempt, overlap });
const ok = { code: 0, signal: null, timedOut: false, killed: false };
const bad = { code: 1, signal: null, timedOut: false, killed: false };

/** Feed events from a snapshot; returns the final snapshot and every effect, compactly. */
function drive(events: CronEvent[], from: CronSnapshot = initialCronSnapshot(), c = cfg): { s: CronSnapshot; out: string[] } {
  let s = from;
  const out: string[] = [];
  for (const e of events) {
    const t = cronTransition(s, e, c);
    s = t.next;
    out.push(...t.effects.map(show));
  }
  return { s, out };
}

function show(e: CronEffect): string {
  switch (e.type) {
    case 'state':
      return `${e.run.id}:${e.state}${e.message ? ` (${e.message})` : ''}`;
    case 'spawn':
      return `spawn ${e.run.id}`;
    case 'stop-run':
      return `stop ${e.id}`;
    case 'retry':
      return `retry ${e.run.id} #${e.attempt} in ${e.delayMs}`;
    case 'cancel-retries':
      return 'cancel-retries';
  }
}

const fire = (r: RunRef): CronEvent => ({ type: 'fire', run: r });
const end = (id: string, how = ok): CronEvent => ({ type: 'ended', id, end: how });

describe('cron run machine: overlap policies as a table', () => {
  // Each row: policy, events after run `a` started, the effects they give, and which runs are going.
  const rows: Array<{ policy: OverlapPolicy; then: CronEvent[]; effects: string[]; running: string[]; waiting?: string }> = [
    { policy: 'skip', then: [fire(ref('b', 'skip'))], effects: [`b:skipped (${SKIP_REASONS.skip})`], running: ['a'] },
    { policy: 'allow', then: [fire(ref('b', 'allow'))], effects: ['b:running', 'spawn b'], running: ['a', 'b'] },
    {
      policy: 'queue', then: [fire(ref('b', 'queue')), fire(ref('c', 'queue'))],
      effects: ['b:queued (waiting for the previous run (overlap: queue))', `c:skipped (${SKIP_REASONS.queueFull})`], running: ['a'], waiting: 'b',
    },
    {
      policy: 'queue', then: [fire(ref('b', 'queue')), end('a')],
      effects: ['b:queued (waiting for the previous run (overlap: queue))', 'a:succeeded', 'b:running', 'spawn b'], running: ['b'],
    },
    {
      policy: 'replace', then: [fire(ref('b', 'replace'))],
      effects: ['b:queued (replacing the previous run (overlap: replace))', 'stop a'], running: ['a'], waiting: 'b',
    },
    {
      // Defect 1: firings while the old run stops do not pile up: the newest waits, older waiting ones are skipped.
      policy: 'replace', then: [fire(ref('b', 'replace')), fire(ref('c', 'replace')), fire(ref('d', 'replace'))],
      effects: [
        'b:queued (replacing the previous run (overlap: replace))', 'stop a',
        `b:skipped (${SKIP_REASONS.superseded})`, 'c:queued (replacing the previous run (overlap: replace))',
        `c:skipped (${SKIP_REASONS.superseded})`, 'd:queued (replacing the previous run (overlap: replace))',
      ],
      running: ['a'], waiting: 'd',
    },
    {
      policy: 'replace', then: [fire(ref('b', 'replace')), fire(ref('c', 'replace')), end('a', { ...bad, signal: 'SIGTERM' } as never)],
      effects: [
        'b:queued (replacing the previous run (overlap: replace))', 'stop a',
        `b:skipped (${SKIP_REASONS.superseded})`, 'c:queued (replacing the previous run (overlap: replace))',
        'a:killed', 'c:running', 'spawn c',
      ],
      running: ['c'],
    },
  ];
  for (const row of rows) {
    it(`${row.policy}: ${row.effects.join(' | ')}`, () => {
      const started = drive([fire(ref('a', row.policy))]);
      expect(started.out).toEqual(['a:running', 'spawn a']);
      const { s, out } = drive(row.then, started.s);
      expect(out).toEqual(row.effects);
      expect(s.running.map((r) => r.id)).toEqual(row.running);
      expect(s.waiting?.id).toBe(row.waiting);
    });
  }

  it('replace never has more than one run with a process, whatever the firings', () => {
    let s = drive([fire(ref('r0', 'replace'))]).s;
    let maxRunning = 1;
    for (let i = 1; i < 50; i++) {
      s = cronTransition(s, fire(ref(`r${i}`, 'replace')), cfg).next;
      // the old one takes a while to stop: only every third firing sees it end
      if (i % 3 === 0) s = cronTransition(s, end(s.running[0]!.id, { ...ok, killed: true }), cfg).next;
      maxRunning = Math.max(maxRunning, s.running.length);
      expect(s.waiting === undefined || s.running.length > 0).toBe(true);
    }
    expect(maxRunning).toBe(1);
  });
});

describe('cron run machine: ends, retries, halts', () => {
  it('outcomes: succeeded, failed (with the exit), timed-out, killed when stopped, failed when it could not start', () => {
    expect(drive([fire(ref('a')), end('a')]).out).toEqual(['a:running', 'spawn a', 'a:succeeded']);
    expect(drive([fire(ref('a')), end('a', bad)]).out.at(-1)).toBe('a:failed (exited with code 1)');
    expect(drive([fire(ref('a')), end('a', { ...bad, timedOut: true, message: 'timed out after 1s' } as never)]).out.at(-1)).toBe('a:timed-out (timed out after 1s)');
    expect(drive([fire(ref('a')), { type: 'halt', reason: 'the task was stopped' }, end('a', { ...bad, signal: 'SIGTERM' } as never)]).out)
      .toEqual(['a:running', 'spawn a', 'cancel-retries', 'stop a', 'a:killed']);
    expect(drive([fire(ref('a')), end('a', { ...bad, code: null, spawnFailed: true, message: 'could not start: x' } as never)]).out.at(-1)).toBe('a:failed (could not start: x)');
  });

  it('a failure is retried with doubling delays up to `retries`; not while halted', () => {
    const c = { retries: 2, retryDelayMs: 100 };
    expect(drive([fire(ref('a')), end('a', bad)], undefined, c).out.at(-1)).toBe('retry a #2 in 100');
    expect(drive([fire(ref('b', 'skip', 'retry', 2)), end('b', bad)], undefined, c).out.at(-1)).toBe('retry b #3 in 200');
    expect(drive([fire(ref('c', 'skip', 'retry', 3)), end('c', bad)], undefined, c).out.at(-1)).toBe('c:failed (exited with code 1)');
    const halted = drive([fire(ref('a')), { type: 'halt', reason: 'stop' }, end('a', bad)], undefined, c).out;
    expect(halted.some((x) => x.startsWith('retry'))).toBe(false);
  });

  it('halt skips the waiting run and the backlog; scheduled firings are skipped while halted, manual runs are not', () => {
    const { s, out } = drive([
      fire(ref('a', 'queue')), fire(ref('b', 'queue')), { type: 'backlog', runs: [ref('k1'), ref('k2')] },
      { type: 'halt', reason: 'the task was stopped' },
      fire(ref('c', 'skip', 'schedule')),
    ]);
    expect(out).toEqual([
      'a:running', 'spawn a', 'b:queued (waiting for the previous run (overlap: queue))',
      'cancel-retries', `b:skipped (${SKIP_REASONS.stopped})`, `k1:skipped (${SKIP_REASONS.stopped})`, `k2:skipped (${SKIP_REASONS.stopped})`, 'stop a',
      `c:skipped (${SKIP_REASONS.stopped})`,
    ]);
    const after = drive([end('a', { ...ok, killed: true }), fire(ref('m', 'skip', 'manual'))], s).out;
    expect(after).toEqual(['a:killed', 'm:running', 'spawn m']);
  });

  it('backlog (catch-up) runs one after another, only when nothing else runs', () => {
    const { out } = drive([
      fire(ref('a')), { type: 'backlog', runs: [ref('k1', 'skip', 'catchup'), ref('k2', 'skip', 'catchup')] }, end('a'), end('k1'), end('k2'),
    ]);
    expect(out).toEqual(['a:running', 'spawn a', 'a:succeeded', 'k1:running', 'spawn k1', 'k1:succeeded', 'k2:running', 'spawn k2', 'k2:succeeded']);
  });

  it('a halted machine keeps its backlog until resumed', () => {
    const halted = initialCronSnapshot(true);
    const { s, out } = drive([{ type: 'backlog', runs: [ref('k1')] }], halted);
    expect(out).toEqual([]);
    expect(drive([{ type: 'resume' }], s).out).toEqual(['k1:running', 'spawn k1']);
  });

  it('refuse records a firing as skipped with the reason and starts nothing', () => {
    expect(drive([{ type: 'refuse', run: ref('g'), reason: 'lock held by host-b' }]).out).toEqual(['g:skipped (lock held by host-b)']);
  });

  it('an end of an unknown run changes nothing', () => {
    const s = initialCronSnapshot();
    expect(cronTransition(s, end('nope'), cfg)).toEqual({ next: s, effects: [] });
  });

  it('records left by a dead daemon: running -> killed, queued -> skipped', () => {
    expect(abandonedRunState('running')).toBe('killed');
    expect(abandonedRunState('queued')).toBe('skipped');
    expect(abandonedRunState('failed')).toBe('failed');
  });
});
