import { describe, expect, it } from 'vitest';
import { callbackFor, callbackRetryDelay, handleCodeOf, MAX_HANDLE_MSG } from '../../../src/xxljob/core/callback.js';
import { findHandlerTask, MAX_INLINE_PARAMS, planTrigger, type HandlerTask } from '../../../src/xxljob/core/trigger.js';
import { MESSAGES, triggerParamSchema, wireFor } from '../../../src/xxljob/core/wire.js';
import type { RunRecord } from '../../../src/shared/types.js';

const tasks: HandlerTask[] = [
  { task: 'report', handler: 'reportHandler', glue: false, enabled: true },
  { task: 'scripts', handler: 'scripts', glue: true, enabled: true },
  { task: 'off', handler: 'offHandler', glue: false, enabled: false },
];
const param = (over: Record<string, unknown> = {}) => triggerParamSchema.parse({ jobId: 7, logId: 70, logDateTime: 1000, executorHandler: 'reportHandler', ...over });
const never = () => false;

describe('wire versions', () => {
  it('2.x puts the payload in content, 3.x in data; both read their own answers', () => {
    expect(wireFor(2).result(200, null, { a: 1 })).toEqual({ code: 200, msg: null, content: { a: 1 } });
    expect(wireFor(3).result(500, 'no', { a: 1 })).toEqual({ code: 500, msg: 'no', data: { a: 1 } });
    expect(wireFor(3).parseResult({ code: 200, data: 5 })).toEqual({ code: 200, msg: null, payload: 5 });
    expect(wireFor(2).parseResult('x')).toBeUndefined();
    expect(wireFor(2).paths.run).toBe('/run');
  });

  it('a trigger body is read leniently like Gson: nulls and missing numbers take defaults', () => {
    const p = triggerParamSchema.parse({ jobId: 1, logId: 2, executorParams: null, executorTimeout: 'x' });
    expect(p).toMatchObject({ executorParams: '', executorTimeout: 0, broadcastIndex: 0, glueType: '' });
    expect(triggerParamSchema.safeParse({ jobId: 'x', logId: 1 }).success).toBe(false);
  });
});

describe('planTrigger', () => {
  it('every admin run is overlap: allow on the task: block strategies act per jobId in the executor (job-threads)', () => {
    for (const b of ['SERIAL_EXECUTION', 'DISCARD_LATER', 'COVER_EARLY', '']) {
      const plan = planTrigger(param({ executorBlockStrategy: b }), tasks, never);
      expect(plan.ok && plan.options.overlap).toBe('allow');
    }
  });

  it('passes params, shard and ids as env and argument; executorTimeout overrides only when > 0', () => {
    const plan = planTrigger(param({ executorParams: 'x y', broadcastIndex: 1, broadcastTotal: 3, executorTimeout: 5, executorBlockStrategy: 'COVER_EARLY' }), tasks, never);
    expect(plan).toEqual({
      ok: true, task: 'report', handlerKey: 'report',
      options: {
        overlap: 'allow', timeoutMs: 5000, args: ['x y'],
        env: { JOBCTL_PARAMS: 'x y', JOBCTL_SHARD_INDEX: '1', JOBCTL_SHARD_TOTAL: '3', JOBCTL_XXLJOB_JOB_ID: '7', JOBCTL_XXLJOB_LOG_ID: '70' },
        tag: { jobId: 7, logId: 70, logDateTime: 1000 },
      },
    });
    const plain = planTrigger(param(), tasks, never);
    expect(plain.ok && plain.options.timeoutMs).toBeUndefined();
    expect(plain.ok && plain.options.args).toEqual([]);
  });

  it('refuses an unknown handler, a disabled task, a repeated logId, and GLUE unless allowed', () => {
    expect(planTrigger(param({ executorHandler: 'x' }), tasks, never)).toEqual({ ok: false, msg: MESSAGES.handlerNotFound('x') });
    expect(planTrigger(param({ executorHandler: 'offHandler' }), tasks, never)).toMatchObject({ ok: false, msg: expect.stringContaining('disabled') });
    expect(planTrigger(param(), tasks, (id) => id === 70)).toEqual({ ok: false, msg: MESSAGES.repeatedLogId(70) });
    expect(planTrigger(param({ glueType: 'GLUE_SHELL', glueSource: 'echo' }), tasks, never)).toMatchObject({ ok: false, msg: expect.stringContaining('glue: true') });
    expect(planTrigger(param({ executorHandler: '', glueType: 'GLUE_GROOVY', glueSource: 'x' }), tasks, never)).toMatchObject({ ok: false, msg: expect.stringContaining('not supported') });
    expect(planTrigger(param({ executorHandler: '', glueType: 'GLUE_PYTHON', glueSource: '' }), tasks, never)).toMatchObject({ ok: false, msg: expect.stringContaining('without source') });
  });

  // Upstream: xxl-job-core handler/impl/ScriptJobHandler.java (scriptParams: 0=param, 1=shard index, 2=shard total).
  it('a GLUE script gets three arguments like ScriptJobHandler: param (\'\' when empty), shard index, shard total', () => {
    const glue = (over: Record<string, unknown>) => planTrigger(param({ executorHandler: '', glueType: 'GLUE_SHELL', glueSource: 'echo', ...over }), tasks, never);
    expect(glue({ executorParams: 'hello', broadcastIndex: 2, broadcastTotal: 5 })).toMatchObject({ ok: true, options: { args: ['hello', '2', '5'] } });
    expect(glue({})).toMatchObject({ ok: true, options: { args: ['', '0', '0'] } });
    // A new source version is a new handler for the job (ExecutorBizImpl ends the old job thread).
    const a = glue({ glueUpdatetime: 1 });
    const b = glue({ glueUpdatetime: 2 });
    expect(a.ok && b.ok && a.handlerKey !== b.handlerKey).toBe(true);
  });

  it('params larger than an argument may be (128 KiB) go to a file, not to argv or the environment', () => {
    const big = 'x'.repeat(MAX_INLINE_PARAMS + 1);
    const plan = planTrigger(param({ executorParams: big }), tasks, never);
    expect(plan.ok && plan.options.args).toEqual([]);
    expect(plan.ok && plan.options.env.JOBCTL_PARAMS).toBe('');
    expect(plan.ok && plan.options.largeParams).toBe(big);
    const fits = planTrigger(param({ executorParams: 'y'.repeat(MAX_INLINE_PARAMS) }), tasks, never);
    expect(fits.ok && fits.options.largeParams).toBeUndefined();
    expect(fits.ok && fits.options.args[0]!.length).toBe(MAX_INLINE_PARAMS);
  });

  it('params with a NUL byte (no argument or variable can hold one: the spawner cut them there) go to a file whole', () => {
    const plan = planTrigger(param({ executorParams: 'a\u0000b' }), tasks, never);
    expect(plan.ok && plan.options.args).toEqual([]);
    expect(plan.ok && plan.options.env.JOBCTL_PARAMS).toBe('');
    expect(plan.ok && plan.options.largeParams).toBe('a\u0000b');
  });

  it('a GLUE job without a handler goes to the one task that allows GLUE', () => {
    const plan = planTrigger(param({ executorHandler: '', glueType: 'GLUE_PYTHON', glueSource: 'print(1)', glueUpdatetime: 42 }), tasks, never);
    expect(plan).toMatchObject({ ok: true, task: 'scripts', options: { glue: { interpreter: 'python3', ext: '.py', source: 'print(1)', version: 42 } } });
    const two = [...tasks, { task: 'more', handler: 'more', glue: true, enabled: true }];
    expect(findHandlerTask({ executorHandler: '', glueType: 'GLUE_SHELL' }, two)).toMatchObject({ error: expect.stringContaining('scripts, more') });
    expect(findHandlerTask({ executorHandler: '', glueType: 'GLUE_SHELL' }, tasks.filter((t) => !t.glue))).toMatchObject({ error: expect.stringContaining('no task on this executor allows GLUE') });
  });
});

describe('callbacks', () => {
  const rec = (over: Partial<RunRecord>): RunRecord => ({ id: 'r1', task: 'report', scheduledAt: 0, attempt: 1, trigger: 'xxljob', state: 'succeeded', tag: '9', ...over });
  const tag = { logId: 9, logDateTime: 500 };

  it('200 success, 502 timeout, 500 for the rest', () => {
    expect(handleCodeOf({ state: 'succeeded' })).toBe(200);
    expect(handleCodeOf({ state: 'timed-out' })).toBe(502);
    for (const state of ['failed', 'killed', 'skipped'] as const) expect(handleCodeOf({ state })).toBe(500);
  });

  it('carries the logId, logDateTim, outcome and the last lines, cut from the start when long', () => {
    const cb = callbackFor(rec({ state: 'failed', exitCode: 3, message: 'exit code 3' }), tag, ['a', 'b']);
    expect(cb).toEqual({ logId: 9, logDateTim: 500, handleCode: 500, handleMsg: 'jobctl run r1 on task report: failed, exit 3 (exit code 3)\na\nb' });
    const long = callbackFor(rec({}), tag, Array.from({ length: 500 }, (_, i) => `line ${i} ${'x'.repeat(20)}`));
    expect(long.handleMsg.length).toBeLessThanOrEqual(MAX_HANDLE_MSG);
    expect(long.handleMsg).toMatch(/^jobctl run r1 on task report: succeeded\n…/);
    expect(long.handleMsg).toContain('line 499');
  });

  it('retries with doubling delays up to the cap', () => {
    expect([1, 2, 3, 4, 10].map((a) => callbackRetryDelay(a, 1000, 5000))).toEqual([1000, 2000, 4000, 5000, 5000]);
  });
});
