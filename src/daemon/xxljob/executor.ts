import fs from 'node:fs';
import path from 'node:path';
import { callbackFor } from '../../core/xxljob/callback.js';
import { planTrigger, type GlueScript } from '../../core/xxljob/trigger.js';
import { FAIL_CODE, MESSAGES, SUCCESS_CODE, type CallbackItem, type LogParam, type LogResult, type TriggerParam } from '../../core/xxljob/wire.js';
import { tailLines } from '../../runtime/log-read.js';
import { readLogPage } from '../../runtime/xxljob/log-page.js';
import type { Answer, ExecutorEndpoints } from '../../runtime/xxljob/executor-server.js';
import { errorMessage } from '../../shared/errors.js';
import type { RunRecord } from '../../shared/types.js';
import { FINISHED_STATES, logIdOf, type XxlRunPort } from './run-port.js';

/** A run the admin is waiting for: triggered here, not yet reported. */
interface Outstanding {
  logId: number;
  logDateTime: number;
  jobId: number;
  task: string;
  runId: string;
}

export interface ExecutorOptions {
  port: XxlRunPort;
  /** Where a finished run's callback goes (the callback sender). */
  report: (item: CallbackItem) => void;
  /** File that keeps the outstanding runs across a daemon restart. */
  outstandingFile: string;
  /** Where GLUE sources are written before they run. */
  glueDir: string;
  /** Lines of output sent in handleMsg. @default 20 */
  tailLines?: number;
}

/**
 * The executor's behaviour for each endpoint, over the run port: which task a trigger runs,
 * block strategies as overlap, `/kill` by jobId, `/log` paging the run's own log file, and a
 * callback for every run the admin triggered. Runs the admin waits for are kept in a small
 * file, so a daemon that stopped mid-run still reports them when it comes back.
 */
export class XxlExecutor implements ExecutorEndpoints {
  private readonly outstanding = new Map<number, Outstanding>();
  /** Triggers on their way to the runner, by logId, with their run's end if it came first. */
  private readonly starting = new Map<number, RunRecord | undefined>();
  private readonly offRunEnd: () => void;

  constructor(private readonly opts: ExecutorOptions) {
    this.offRunEnd = opts.port.onRunEnd((r) => this.ended(r));
    this.recover();
  }

  beat(): Answer {
    return { code: SUCCESS_CODE, msg: null };
  }

  idleBeat(jobId: number): Answer {
    const busy = [...this.outstanding.values()].some((o) => o.jobId === jobId)
      || [...this.tasksOfJob(jobId)].some((t) => this.opts.port.isBusy(t));
    return busy ? { code: FAIL_CODE, msg: MESSAGES.busy } : { code: SUCCESS_CODE, msg: null };
  }

  async run(param: TriggerParam): Promise<Answer> {
    const plan = planTrigger(param, this.opts.port.handlerTasks(), (logId) => this.outstanding.has(logId) || this.starting.has(logId));
    if (!plan.ok) return { code: FAIL_CODE, msg: plan.msg };
    if (plan.options.glue) plan.options.command = this.writeGlue(param.jobId, plan.options.glue);
    this.starting.set(param.logId, undefined);
    const result = await this.opts.port.trigger(plan.task, plan.options).catch((e: unknown) => `could not start: ${errorMessage(e)}`);
    const early = this.starting.get(param.logId);
    this.starting.delete(param.logId);
    if (typeof result === 'string') return { code: FAIL_CODE, msg: result };
    if (FINISHED_STATES.has(result.state) && result.startedAt === undefined) {
      // Refused by the overlap policy (or a stopped task): the admin records the refusal; no callback follows.
      const why = result.state === 'skipped' && plan.options.overlap === 'skip' ? MESSAGES.discardLater : 'refused';
      return { code: FAIL_CODE, msg: `${why}: task "${plan.task}": ${result.message ?? result.state}` };
    }
    const o: Outstanding = { logId: param.logId, logDateTime: param.logDateTime, jobId: param.jobId, task: plan.task, runId: result.id };
    this.outstanding.set(param.logId, o);
    this.save();
    // A run that ended before the trigger returned (it could not start) is reported now.
    if (early?.id === result.id) this.ended(early);
    return { code: SUCCESS_CODE, msg: null };
  }

  kill(jobId: number): Answer {
    const runs = [...this.outstanding.values()].filter((o) => o.jobId === jobId);
    for (const o of runs) this.opts.port.kill(o.task, o.runId, MESSAGES.killedByAdmin);
    return { code: SUCCESS_CODE, msg: runs.length ? null : MESSAGES.alreadyKilled };
  }

  async log(param: LogParam): Promise<Answer<LogResult>> {
    const o = this.outstanding.get(param.logId);
    const record = this.opts.port.findRun(param.logId);
    const task = o?.task ?? record?.task;
    const runId = o?.runId ?? record?.id;
    const page = task && runId ? await readLogPage(this.opts.port.runLog(task, runId), param.fromLineNum) : undefined;
    if (!page) {
      return { code: SUCCESS_CODE, msg: null, payload: { fromLineNum: param.fromLineNum, toLineNum: 0, logContent: MESSAGES.logNotFound, isEnd: true } };
    }
    const ended = !o && record !== undefined && FINISHED_STATES.has(record.state);
    return { code: SUCCESS_CODE, msg: null, payload: { fromLineNum: param.fromLineNum, toLineNum: page.toLineNum, logContent: page.content, isEnd: ended && page.complete } };
  }

  /** The GLUE source as a file (one per job and source version, mode 0700) and the argv that runs it (params follow as arguments). */
  private writeGlue(jobId: number, glue: GlueScript): string[] {
    fs.mkdirSync(this.opts.glueDir, { recursive: true, mode: 0o700 });
    const file = path.join(this.opts.glueDir, `${Math.trunc(jobId)}_${Math.trunc(glue.version)}${glue.ext}`);
    fs.writeFileSync(`${file}.tmp`, glue.source, { mode: 0o700 });
    fs.renameSync(`${file}.tmp`, file);
    return [glue.interpreter, file];
  }

  /** Runs the admin still waits for. */
  get waiting(): number {
    return this.outstanding.size;
  }

  private *tasksOfJob(jobId: number): Iterable<string> {
    for (const o of this.outstanding.values()) if (o.jobId === jobId) yield o.task;
  }

  private ended(record: RunRecord): void {
    const logId = logIdOf(record);
    if (logId === undefined || !FINISHED_STATES.has(record.state)) return;
    if (this.starting.has(logId)) {
      this.starting.set(logId, record);
      return;
    }
    const o = this.outstanding.get(logId);
    if (!o || o.runId !== record.id) return;
    this.outstanding.delete(logId);
    this.save();
    this.report(record, o);
  }

  private report(record: RunRecord, o: Outstanding): void {
    const tail = tailLines(this.opts.port.runLog(record.task, record.id), this.opts.tailLines ?? 20);
    this.opts.report(callbackFor(record, o, tail));
  }

  /** After a restart: report what ended (or was lost) while the daemon was down. */
  private recover(): void {
    let saved: Outstanding[] = [];
    try {
      saved = JSON.parse(fs.readFileSync(this.opts.outstandingFile, 'utf8')) as Outstanding[];
    } catch {
      return;
    }
    for (const o of Array.isArray(saved) ? saved : []) {
      const r = this.opts.port.findRun(o.logId);
      if (r && r.id === o.runId && FINISHED_STATES.has(r.state)) this.report(r, o);
      else {
        this.opts.report({ logId: o.logId, logDateTim: o.logDateTime, handleCode: FAIL_CODE, handleMsg: `jobctl run ${o.runId} on task ${o.task}: lost (the jobctl daemon stopped before it ended)` });
      }
    }
    this.save();
  }

  private save(): void {
    const p = this.opts.outstandingFile;
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(`${p}.tmp`, JSON.stringify([...this.outstanding.values()]));
    fs.renameSync(`${p}.tmp`, p);
  }

  /** Stop listening to runs; the outstanding ones stay on disk. Safe to call twice. */
  close(): void {
    this.offRunEnd();
  }
}
