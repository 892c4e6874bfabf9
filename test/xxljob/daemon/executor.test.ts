import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { HandlerTask, XxlRunOptions } from '../../../src/xxljob/core/trigger.js';
import { wireFor, type CallbackItem } from '../../../src/xxljob/core/wire.js';
import { XxlExecutor } from '../../../src/xxljob/daemon/executor.js';
import type { XxlRunPort } from '../../../src/xxljob/daemon/run-port.js';
import { ExecutorServer } from '../../../src/xxljob/runtime/executor-server.js';
import { OutstandingFile } from '../../../src/xxljob/runtime/outstanding-file.js';
import type { RunRecord } from '../../../src/shared/types.js';
import { tempDirs } from '../../helpers/temp.js';
import { waitFor } from '../../helpers/wait.js';
import { TestAdmin } from '../../helpers/xxl-admin.js';

/**
 * `/run` answers once the trigger is validated and queued, as the Java executor does
 * (xxl-job-core biz/impl/ExecutorBizImpl.java `run` returns `jobThread.pushTriggerQueue(...)`;
 * thread/JobThread.java runs it later). Here the run port holds every start behind a gate:
 * the answers must all arrive while no process has started, which an executor that answered
 * after the start could never do.
 */

const temp = tempDirs('jobctl-xxl-exec-');
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
  temp.cleanup();
});

/** A run port that spawns a real `sh` per run, but only once `open()` was called. */
class GatedPort implements XxlRunPort {
  /** logIds in the order their processes were spawned. */
  readonly spawned: number[] = [];
  private readonly records = new Map<number, RunRecord>();
  private readonly children = new Map<string, ChildProcess>();
  private readonly listeners = new Set<(r: RunRecord) => void>();
  private release!: () => void;
  private readonly gate = new Promise<void>((r) => (this.release = r));

  constructor(private readonly logDir: string) {}

  open(): void {
    this.release();
  }

  handlerTasks(): HandlerTask[] {
    return [{ task: 'work', handler: 'work', glue: false, enabled: true }];
  }

  refuses(): string | undefined {
    return undefined;
  }

  async trigger(task: string, o: XxlRunOptions): Promise<RunRecord> {
    await this.gate;
    const logId = o.tag.logId;
    const rec: RunRecord = { id: `run-${logId}`, task, scheduledAt: Date.now(), startedAt: Date.now(), attempt: 1, trigger: 'xxljob', tag: String(logId), state: 'running' };
    const child = spawn('/bin/sh', ['-c', 'exit 0'], { stdio: 'ignore' });
    this.spawned.push(logId);
    this.children.set(rec.id, child);
    this.records.set(logId, rec);
    child.once('exit', (code) => {
      const done: RunRecord = { ...rec, state: code === 0 ? 'succeeded' : 'failed', exitCode: code, endedAt: Date.now() };
      this.records.set(logId, done);
      for (const l of this.listeners) l(done);
    });
    return { ...rec };
  }

  kill(_task: string, runId: string): void {
    this.children.get(runId)?.kill('SIGKILL');
  }

  onRunEnd(cb: (r: RunRecord) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  findRun(logId: number): RunRecord | undefined {
    return this.records.get(logId);
  }

  runLog(task: string, runId: string): string {
    return path.join(this.logDir, `${task}-${runId}.log`);
  }
}

describe('XxlExecutor answers /run before the run starts', () => {
  it('20 concurrent triggers of 20 jobs all get 200 while no process may start yet; then all run and call back', async () => {
    const dir = temp.dir();
    const port = new GatedPort(dir);
    const reports: CallbackItem[] = [];
    const executor = new XxlExecutor({ port, report: (i) => reports.push(i), outstandingFile: path.join(dir, 'outstanding.jsonl'), glueDir: path.join(dir, 'glue') });
    cleanups.push(() => executor.close());
    const server = await ExecutorServer.start({ host: '127.0.0.1', port: 0, wire: wireFor(2), endpoints: executor });
    cleanups.push(() => server.close());
    const admin = new TestAdmin();
    const exec = `http://127.0.0.1:${server.port}/`;

    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => admin.trigger(exec, { jobId: i + 1, logId: 1000 + i, handler: 'work' })));
    expect(answers.map((a) => a.code)).toEqual(Array(20).fill(200));
    // The ordering this test is about: every answer is in, and not one process has started.
    expect(port.spawned).toEqual([]);
    expect(executor.waiting).toBe(20);
    expect((await admin.idleBeat(exec, 1)).code).toBe(500);

    port.open();
    await waitFor(() => reports.length === 20, 20_000, '20 callbacks');
    expect(port.spawned.sort()).toEqual(Array.from({ length: 20 }, (_, i) => 1000 + i));
    expect(reports.every((r) => r.handleCode === 200)).toBe(true);
    expect(executor.waiting).toBe(0);
    expect((await admin.idleBeat(exec, 1)).code).toBe(200);
  });

  it('a job killed while its trigger waits to start never starts and is reported failed', async () => {
    const dir = temp.dir();
    const port = new GatedPort(dir);
    const reports: CallbackItem[] = [];
    const executor = new XxlExecutor({ port, report: (i) => reports.push(i), outstandingFile: path.join(dir, 'outstanding.jsonl'), glueDir: path.join(dir, 'glue') });
    cleanups.push(() => executor.close());
    const param = { jobId: 9, executorHandler: 'work', executorParams: '', executorBlockStrategy: 'SERIAL_EXECUTION', executorTimeout: 0, logId: 90, logDateTime: 1, glueType: 'BEAN', glueSource: '', broadcastIndex: 0, broadcastTotal: 1 };
    expect(executor.run(param)).toEqual({ code: 200, msg: null });
    expect(executor.run({ ...param, logId: 91 })).toEqual({ code: 200, msg: null });
    expect(executor.kill(9)).toEqual({ code: 200, msg: null });
    // The queued one is dropped at once, with JobThread's words.
    expect(reports.find((r) => r.logId === 91)).toMatchObject({ handleCode: 500, handleMsg: 'scheduling center kill job. [job not executed, in the job queue, killed.]' });
    port.open();
    const first = await waitFor(() => reports.find((r) => r.logId === 90), 10_000, 'callback of the first');
    expect(first).toMatchObject({ handleCode: 500, handleMsg: expect.stringContaining('scheduling center kill job.') });
    expect(port.spawned).toEqual([]);
    expect(executor.kill(9)).toEqual({ code: 200, msg: 'job thread already killed.' });
  });

  it('triggers still waiting when the daemon went away are reported by the next one; /log of a waiting trigger is empty, not ended', async () => {
    const dir = temp.dir();
    const outstandingFile = path.join(dir, 'outstanding.jsonl');
    const first = new XxlExecutor({ port: new GatedPort(dir), report: () => undefined, outstandingFile, glueDir: path.join(dir, 'glue') });
    const param = { jobId: 3, executorHandler: 'work', executorParams: '', executorBlockStrategy: 'SERIAL_EXECUTION', executorTimeout: 0, logId: 30, logDateTime: 5, glueType: 'BEAN', glueSource: '', broadcastIndex: 0, broadcastTotal: 1 };
    expect(first.run(param).code).toBe(200);
    expect(first.run({ ...param, logId: 31 }).code).toBe(200);
    expect((await first.log({ logId: 31, fromLineNum: 1 })).payload).toEqual({ fromLineNum: 1, toLineNum: 0, logContent: '', isEnd: false });
    first.close();
    const reports: CallbackItem[] = [];
    const second = new XxlExecutor({ port: new GatedPort(dir), report: (i) => reports.push(i), outstandingFile, glueDir: path.join(dir, 'glue') });
    cleanups.push(() => second.close());
    expect(reports.map((r) => [r.logId, r.logDateTim, r.handleCode])).toEqual([[30, 5, 500], [31, 5, 500]]);
    expect(reports[1]!.handleMsg).toContain('job not executed');
    // A log that is gone says that logs follow the task's history.
    expect((await second.log({ logId: 31, fromLineNum: 1 })).payload).toMatchObject({ isEnd: true, logContent: expect.stringContaining('history') });
  });

  // Upstream: thread/JobThread.java (toStop: every queued trigger is called back "[job not executed, in
  // the job queue, killed.]"). The outstanding file used to be rewritten whole on every change: at
  // 20 jobs x 1000 waiting (the bound allows it) each /run, start and end cost ~30 ms of blocked
  // loop, and a /kill of 1000 waiting ~0.8 s. It is a journal now: a change is a line.
  it('with 1000 triggers waiting, a /run appends one line to the outstanding journal and a /kill one write, never a whole rewrite', async () => {
    const dir = temp.dir();
    const outstandingFile = path.join(dir, 'outstanding.jsonl');
    const reports: CallbackItem[] = [];
    const executor = new XxlExecutor({ port: new GatedPort(dir), report: (i) => reports.push(i), outstandingFile, glueDir: path.join(dir, 'glue') });
    cleanups.push(() => executor.close());
    const param = { jobId: 4, executorHandler: 'work', executorParams: '', executorBlockStrategy: 'SERIAL_EXECUTION', executorTimeout: 0, logId: 0, logDateTime: 1, glueType: 'BEAN', glueSource: '', broadcastIndex: 0, broadcastTotal: 1 };
    for (let i = 0; i < 1000; i++) expect(executor.run({ ...param, logId: 4000 + i }).code).toBe(200);
    const rename = vi.spyOn(fs, 'renameSync');
    // An append opens the journal itself (without following links, runtime/jsonl.ts); a rewrite opens a temp file and renames it.
    const append = vi.spyOn(fs, 'openSync');
    cleanups.push(() => {
      rename.mockRestore();
      append.mockRestore();
    });
    const writes = () => rename.mock.calls.filter(([, to]) => to === outstandingFile).length + append.mock.calls.filter(([to]) => to === outstandingFile).length;
    const before = fs.statSync(outstandingFile).size;
    expect(executor.run({ ...param, logId: 5000 }).code).toBe(200);
    expect(append.mock.calls.filter(([to]) => to === outstandingFile)).toHaveLength(1);
    expect(fs.statSync(outstandingFile).size - before).toBeLessThan(200);
    expect(executor.kill(4)).toEqual({ code: 200, msg: null });
    expect(reports).toHaveLength(1000);
    // One write for the 1000 dropped (here the journal is compacted to the one entry left).
    expect(writes()).toBe(2);
    // What is on disk is right: only the running one (stopped before it started) is left.
    expect(new OutstandingFile(outstandingFile).load().map((o) => o.logId)).toEqual([4000]);
  });

  // Upstream: thread/JobThread.java (pushTriggerQueue: an unbounded LinkedBlockingQueue), jobctl's
  // documented bound SERIAL_QUEUE_MAX. A flood over real HTTP, all at once: exactly the bound is
  // accepted (one running, 1000 waiting), the rest refused with the bound's message.
  it('1010 concurrent triggers of one job over HTTP: 1001 accepted (one running, 1000 waiting), 9 refused with the bound', async () => {
    const dir = temp.dir();
    const port = new GatedPort(dir);
    const reports: CallbackItem[] = [];
    const executor = new XxlExecutor({ port, report: (i) => reports.push(i), outstandingFile: path.join(dir, 'outstanding.jsonl'), glueDir: path.join(dir, 'glue') });
    cleanups.push(() => executor.close());
    const server = await ExecutorServer.start({ host: '127.0.0.1', port: 0, wire: wireFor(2), endpoints: executor });
    cleanups.push(() => server.close());
    const admin = new TestAdmin();
    const exec = `http://127.0.0.1:${server.port}/`;
    const answers = await Promise.all(Array.from({ length: 1010 }, (_, i) => admin.trigger(exec, { jobId: 5, logId: 5000 + i, handler: 'work' })));
    expect(answers.filter((a) => a.code === 200)).toHaveLength(1001);
    const refused = answers.filter((a) => a.code !== 200);
    expect(refused).toHaveLength(9);
    for (const r of refused) expect(r.msg).toContain('1000 triggers of job 5 already wait');
    expect(executor.waiting).toBe(1001);
    expect((await admin.kill(exec, 5)).code).toBe(200);
    expect(reports).toHaveLength(1000);
    port.open();
    await waitFor(() => reports.length === 1001, 10_000, 'the stopped one reported');
    expect(executor.waiting).toBe(0);
    // The running one was already on its way into the runner: it may start (and is stopped at once,
    // or had ended: this port's process exits at once); nothing else starts, each is reported once.
    expect(port.spawned.filter((id) => id !== 5000)).toEqual([]);
    expect(new Set(reports.map((r) => r.logId)).size).toBe(1001);
  });

  // Upstream: biz/impl/ExecutorBizImpl.java (COVER_EARLY: a job thread running or with a queue is
  // replaced, "block strategy effect：Cover Early"), thread/JobThread.java (toStop). Five covering
  // triggers at once: each drops the one before, only the last runs, each is reported once.
  it('COVER_EARLY racing itself: five at once over HTTP, only the last runs, every other is reported once', async () => {
    const dir = temp.dir();
    const port = new GatedPort(dir);
    const reports: CallbackItem[] = [];
    const executor = new XxlExecutor({ port, report: (i) => reports.push(i), outstandingFile: path.join(dir, 'outstanding.jsonl'), glueDir: path.join(dir, 'glue') });
    cleanups.push(() => executor.close());
    const server = await ExecutorServer.start({ host: '127.0.0.1', port: 0, wire: wireFor(2), endpoints: executor });
    cleanups.push(() => server.close());
    const admin = new TestAdmin();
    const exec = `http://127.0.0.1:${server.port}/`;
    expect((await admin.trigger(exec, { jobId: 6, logId: 600, handler: 'work' })).code).toBe(200);
    const answers = await Promise.all([601, 602, 603, 604, 605].map((logId) => admin.trigger(exec, { jobId: 6, logId, handler: 'work', block: 'COVER_EARLY' })));
    expect(answers.map((a) => a.code)).toEqual([200, 200, 200, 200, 200]);
    port.open();
    await waitFor(() => reports.length === 6, 10_000, 'six callbacks');
    const byLog = new Map(reports.map((r) => [r.logId, r]));
    expect(byLog.size).toBe(6);
    // 600 was already on its way into the runner (it may start, and is stopped); of the covering ones only the last runs.
    expect(port.spawned.filter((id) => id !== 600)).toEqual([605]);
    expect(byLog.get(605)!.handleCode).toBe(200);
    for (const [logId, r] of byLog) if (logId !== 605 && logId !== 600) expect(r).toMatchObject({ handleCode: 500, handleMsg: expect.stringContaining('block strategy effect：Cover Early') });
  });
});
