import { describe, expect, it } from 'vitest';
import { HANDLER_CHANGED, JobThreads, NOT_EXECUTED, SERIAL_QUEUE_MAX, SOURCE_CHANGED, type JobEffect } from '../../../src/xxljob/core/job-threads.js';
import { MESSAGES } from '../../../src/xxljob/core/wire.js';

/**
 * One "job thread" per admin jobId, as the Java executor keeps them. Upstream:
 * xxl-job-core biz/impl/ExecutorBizImpl.java (run: block strategies, handler change; kill;
 * idleBeat), thread/JobThread.java (pushTriggerQueue, isRunningOrHasQueue, toStop callbacks),
 * executor/XxlJobExecutor.java (registJobThread/removeJobThread).
 */

const show = (e: JobEffect) => (e.type === 'start' ? `start ${e.logId}` : `${e.type} ${e.logId} (${e.reason})`);
const trig = (jobId: number, logId: number, strategy = 'SERIAL_EXECUTION', handlerKey = 'task') => ({ jobId, logId, strategy, handlerKey });

describe('JobThreads', () => {
  it('different jobs sharing a handler run side by side; DISCARD_LATER and COVER_EARLY act on their own jobId only', () => {
    const t = new JobThreads();
    const starts: string[] = [];
    for (let job = 1; job <= 20; job++) {
      const r = t.trigger(trig(job, 100 + job, job % 2 ? 'DISCARD_LATER' : 'COVER_EARLY'));
      expect(r.answer).toEqual({ ok: true });
      starts.push(...r.effects.map(show));
    }
    expect(starts).toEqual(Array.from({ length: 20 }, (_, i) => `start ${101 + i}`));
    expect(t.busy(1) && t.busy(2) && !t.busy(21)).toBe(true);
  });

  it('SERIAL_EXECUTION queues every trigger of the job, each starts when the one before ends', () => {
    const t = new JobThreads();
    const answers = [1, 2, 3, 4, 5].map((n) => t.trigger(trig(7, n)));
    expect(answers.map((a) => a.answer.ok)).toEqual([true, true, true, true, true]);
    expect(answers.flatMap((a) => a.effects).map(show)).toEqual(['start 1']);
    expect(t.ended(7, 1).map(show)).toEqual(['start 2']);
    expect(t.ended(7, 2).map(show)).toEqual(['start 3']);
    expect(t.busy(7)).toBe(true);
    t.ended(7, 3);
    t.ended(7, 4);
    expect(t.ended(7, 5)).toEqual([]);
    expect(t.busy(7)).toBe(false);
  });

  it(`SERIAL_EXECUTION is bounded at ${SERIAL_QUEUE_MAX} waiting triggers per job, with a refusal that says so`, () => {
    const t = new JobThreads();
    t.trigger(trig(1, 0));
    for (let n = 1; n <= SERIAL_QUEUE_MAX; n++) expect(t.trigger(trig(1, n)).answer.ok).toBe(true);
    const full = t.trigger(trig(1, SERIAL_QUEUE_MAX + 1));
    expect(full.answer).toEqual({ ok: false, msg: expect.stringContaining(`${SERIAL_QUEUE_MAX} triggers of job 1 already wait`) });
    expect(t.trigger(trig(2, 5000)).answer.ok).toBe(true);
  });

  it('DISCARD_LATER refuses while the job runs or has a queue, with the Java message', () => {
    const t = new JobThreads();
    t.trigger(trig(3, 1));
    expect(t.trigger(trig(3, 2, 'DISCARD_LATER')).answer).toEqual({ ok: false, msg: MESSAGES.discardLater });
    t.ended(3, 1);
    expect(t.trigger(trig(3, 3, 'DISCARD_LATER'))).toEqual({ answer: { ok: true }, effects: [{ type: 'start', logId: 3 }] });
  });

  it('COVER_EARLY stops the running run, drops the queued ones, and starts once the stopped run ended', () => {
    const t = new JobThreads();
    t.trigger(trig(4, 1));
    t.trigger(trig(4, 2));
    const cover = t.trigger(trig(4, 3, 'COVER_EARLY'));
    expect(cover.effects.map(show)).toEqual([`stop 1 (${MESSAGES.coverEarly})`, `drop 2 (${MESSAGES.coverEarly}${NOT_EXECUTED})`]);
    expect(t.ended(4, 1).map(show)).toEqual(['start 3']);
  });

  it('a new handler (or GLUE version) for the job ends its old thread whatever the strategy', () => {
    const t = new JobThreads();
    t.trigger(trig(5, 1, 'SERIAL_EXECUTION', 'a'));
    const r = t.trigger(trig(5, 2, 'DISCARD_LATER', 'b'));
    expect(r.answer.ok).toBe(true);
    expect(r.effects.map(show)).toEqual([`stop 1 (${HANDLER_CHANGED})`]);
    expect(t.ended(5, 1).map(show)).toEqual(['start 2']);
  });

  // ExecutorBizImpl.run words the two cases apart: a BEAN trigger with another handler "change
  // jobhandler or glue type", a script trigger with another glueUpdatetime "change job source or glue type".
  it('a new GLUE source version ends the old thread with the words Java uses for a source change', () => {
    const t = new JobThreads();
    t.trigger({ ...trig(6, 1, 'SERIAL_EXECUTION', 'glue\u00001'), glue: true });
    t.trigger({ ...trig(6, 2, 'SERIAL_EXECUTION', 'glue\u00001'), glue: true });
    const r = t.trigger({ ...trig(6, 3, 'SERIAL_EXECUTION', 'glue\u00002'), glue: true });
    expect(r.effects.map(show)).toEqual([`stop 1 (${SOURCE_CHANGED})`, `drop 2 (${SOURCE_CHANGED}${NOT_EXECUTED})`]);
  });

  it('/kill stops the running run and drops the queue; a job with nothing is "already killed"', () => {
    const t = new JobThreads();
    expect(t.kill(6)).toEqual({ had: false, effects: [] });
    t.trigger(trig(6, 1));
    t.trigger(trig(6, 2));
    const k = t.kill(6);
    expect(k.had).toBe(true);
    expect(k.effects.map(show)).toEqual([`stop 1 (${MESSAGES.killedByAdmin})`, `drop 2 (${MESSAGES.killedByAdmin}${NOT_EXECUTED})`]);
    expect(t.busy(6)).toBe(true);
    expect(t.ended(6, 1)).toEqual([]);
    expect(t.busy(6)).toBe(false);
  });
});
