import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_INLINE_PARAMS } from '../../src/xxljob/core/trigger.js';
import { homePaths } from '../../src/shared/paths.js';
import { jobctl } from '../helpers/cli.js';
import { cleanupDaemons, makeHome, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { waitFor } from '../helpers/wait.js';
import { TestAdmin } from '../helpers/xxl-admin.js';

/**
 * Executor mode behaves as the Java executor that admins expect (issue 22): a real daemon, a
 * stand-in admin on 127.0.0.1 sending what the Java admin sends, real runs. Each test names
 * the upstream file (github.com/xuxueli/xxl-job, xxl-job-core, tags 2.3.0-3.4.2) that defines
 * the behaviour.
 */

const admins: TestAdmin[] = [];
afterEach(async () => {
  for (const a of admins.splice(0)) await a.close();
  expect(await cleanupDaemons()).toEqual([]);
});

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

const TASKS = `tasks:
  slow:
    command: 'echo "started $$"; exec sleep 60'
    stop_timeout: 2s
    xxljob: {handler: slowHandler}
  serial:
    command: 'echo "start $JOBCTL_XXLJOB_LOG_ID" >> "$JOBCTL_HOME/serial.out"; sleep 0.2; echo "end $JOBCTL_XXLJOB_LOG_ID" >> "$JOBCTL_HOME/serial.out"'
    xxljob: {handler: serialHandler}
  big:
    command: 'echo "arg=[$1] env=[\${#JOBCTL_PARAMS}] file=[$(wc -c < "$JOBCTL_PARAMS_FILE")] head=[$(head -c 5 "$JOBCTL_PARAMS_FILE")]"'
    xxljob: {handler: bigHandler}
  size:
    command: 'echo "arg=\${#1} env=\${#JOBCTL_PARAMS} file=\${JOBCTL_PARAMS_FILE:+$(wc -c < "$JOBCTL_PARAMS_FILE")}"'
    env: {LC_ALL: C}
    xxljob: {handler: sizeHandler}
  scripts:
    command: 'true'
    stop_timeout: 2s
    xxljob: {handler: scripts, glue: true}
`;

interface Setup {
  admin: TestAdmin;
  daemon: TestDaemon;
  home: string;
  exec: string;
}

async function setup(): Promise<Setup> {
  const admin = new TestAdmin({ token: 'sesame' });
  admins.push(admin);
  await admin.up();
  const port = await freePort();
  const home = makeHome({ 'tasks/xxl.yaml': TASKS });
  fs.writeFileSync(path.join(home, 'jobctl.yaml'), `xxljob:\n  admin: ${admin.base}\n  appname: jobctl-java\n  access_token: sesame\n  listen: 127.0.0.1:${port}\n`);
  const daemon = await startTestDaemon(home);
  const exec = await admin.executor('jobctl-java');
  return { admin, daemon, home, exec };
}

async function history(d: TestDaemon, task: string) {
  const c = await d.client();
  try {
    return (await c.call('history', { task })).runs;
  } finally {
    c.close();
  }
}

/** Runs of a task the admin triggered that are going now, by logId. */
async function runningTags(d: TestDaemon, task: string): Promise<string[]> {
  return (await history(d, task)).filter((r) => r.state === 'running' && r.trigger === 'xxljob').map((r) => r.tag!);
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('xxl-job executor: as the Java executor', { timeout: 120_000 }, () => {
  // Upstream: biz/impl/ExecutorBizImpl.java (run: XxlJobExecutor.loadJobThread(jobId), the block
  // strategy acts on that job's thread; idleBeat: that job's isRunningOrHasQueue), thread/JobThread.java.
  it('block strategies act per jobId: 20 jobs sharing a handler run side by side, COVER_EARLY and DISCARD_LATER touch their own job only', async () => {
    const { admin, exec, daemon } = await setup();
    const answers = await Promise.all(range(20).map((i) => admin.trigger(exec, {
      jobId: 101 + i, logId: 1101 + i, handler: 'slowHandler', block: i % 2 ? 'DISCARD_LATER' : 'COVER_EARLY',
    })));
    expect(answers.map((a) => a.code)).toEqual(Array(20).fill(200));
    await waitFor(async () => (await runningTags(daemon, 'slow')).length === 20, 60_000, '20 runs side by side');
    expect((await admin.idleBeat(exec, 101)).msg).toBe('job thread is running or has trigger queue.');
    expect((await admin.idleBeat(exec, 199)).code).toBe(200);

    // COVER_EARLY of job 101 replaces job 101's run, and job 102's goes on.
    expect((await admin.trigger(exec, { jobId: 101, logId: 1201, handler: 'slowHandler', block: 'COVER_EARLY' })).code).toBe(200);
    const covered = await admin.waitCallback(1101);
    expect(covered.handleCode).toBe(500);
    expect(covered.handleMsg).toContain('block strategy effect：Cover Early');
    await waitFor(async () => (await runningTags(daemon, 'slow')).includes('1201'), 20_000, 'the covering run');
    expect(await runningTags(daemon, 'slow')).toContain('1102');
    // DISCARD_LATER of job 102 is refused for job 102's own run, not for the others'.
    expect((await admin.trigger(exec, { jobId: 102, logId: 1202, handler: 'slowHandler', block: 'DISCARD_LATER' })).msg).toBe('block strategy effect：Discard Later');

    // Three GLUE jobs (all go to the one task with glue: true) fired together: all run.
    const glue = await Promise.all([131, 132, 133].map((jobId) => admin.trigger(exec, {
      jobId, logId: jobId * 10, glueType: 'GLUE_SHELL', glueSource: 'exec sleep 60', block: 'DISCARD_LATER',
    })));
    expect(glue.map((g) => g.code)).toEqual([200, 200, 200]);
    await waitFor(async () => (await runningTags(daemon, 'scripts')).length === 3, 20_000, 'three GLUE runs');

    for (const jobId of [101, ...range(19).map((i) => 102 + i), 131, 132, 133]) expect((await admin.kill(exec, jobId)).code).toBe(200);
    for (const logId of [1201, 1102, 1120, 1310, 1330]) expect((await admin.waitCallback(logId)).handleMsg).toContain('scheduling center kill job.');
    expect(admin.callbacks.find((c) => c.logId === 1202)).toBeUndefined();
  });

  // Upstream: thread/JobThread.java (pushTriggerQueue adds to an unbounded LinkedBlockingQueue; the
  // thread takes one trigger at a time; toStop calls back the queued ones "[job not executed, in the
  // job queue, killed.]"), biz/impl/ExecutorBizImpl.java (SERIAL_EXECUTION: "just queue trigger").
  it('SERIAL_EXECUTION queues every trigger of a job and runs them one after another; /kill drops the queue', async () => {
    const { admin, exec, home, daemon } = await setup();
    const logIds = [701, 702, 703, 704, 705];
    const answers = await Promise.all(logIds.map((logId) => admin.trigger(exec, { jobId: 7, logId, handler: 'serialHandler' })));
    expect(answers.map((a) => a.code)).toEqual([200, 200, 200, 200, 200]);
    for (const logId of logIds) expect((await admin.waitCallback(logId)).handleCode).toBe(200);
    const lines = fs.readFileSync(path.join(home, 'serial.out'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(10);
    // Never two at once: each start is followed by its own end.
    for (let i = 0; i < 10; i += 2) expect(lines[i + 1]).toBe(lines[i]!.replace('start', 'end'));
    expect(new Set(lines.filter((l) => l.startsWith('start')))).toEqual(new Set(logIds.map((id) => `start ${id}`)));

    for (const logId of [801, 802, 803]) expect((await admin.trigger(exec, { jobId: 8, logId, handler: 'slowHandler' })).code).toBe(200);
    await waitFor(async () => (await runningTags(daemon, 'slow')).includes('801'), 20_000, 'first of the queue running');
    expect((await admin.idleBeat(exec, 8)).code).toBe(500);
    expect((await admin.kill(exec, 8)).code).toBe(200);
    for (const logId of [802, 803]) {
      expect(await admin.waitCallback(logId)).toMatchObject({ handleCode: 500, handleMsg: 'scheduling center kill job. [job not executed, in the job queue, killed.]' });
    }
    expect((await admin.waitCallback(801)).handleMsg).toContain('scheduling center kill job.');
    expect((await history(daemon, 'slow')).some((r) => r.tag === '802' || r.tag === '803')).toBe(false);
  });

  // Upstream: biz/impl/ExecutorBizImpl.java idleBeat looks at the job's own JobThread only; a run
  // started on this host (jobctl run) belongs to no admin job, so it neither makes a job busy nor
  // holds the job's trigger back: what /idleBeat says is what /run then does.
  it('/idleBeat and a run started here: the job stays idle, and its trigger starts at once beside the local run', async () => {
    const { admin, exec, home, daemon } = await setup();
    expect((await jobctl(['run', 'slow'], { home })).code).toBe(0);
    await waitFor(async () => (await history(daemon, 'slow')).some((r) => r.trigger === 'manual' && r.state === 'running'), 20_000, 'local run');
    expect((await admin.idleBeat(exec, 40)).code).toBe(200);
    expect((await admin.trigger(exec, { jobId: 40, logId: 4001, handler: 'slowHandler', block: 'DISCARD_LATER' })).code).toBe(200);
    await waitFor(async () => (await runningTags(daemon, 'slow')).includes('4001'), 20_000, 'the job runs beside the local run');
    expect((await history(daemon, 'slow')).some((r) => r.trigger === 'manual' && r.state === 'running')).toBe(true);
    expect((await admin.idleBeat(exec, 40)).code).toBe(500);
    expect((await admin.kill(exec, 40)).code).toBe(200);
    expect((await admin.waitCallback(4001)).handleCode).toBe(500);
  });

  // Upstream: handler/impl/ScriptJobHandler.java (scriptParams: param, shard index, shard total),
  // util/ScriptUtil.java (execToFile: cmd, script file, params...), server/EmbedServer.java
  // (HttpObjectAggregator(5 * 1024 * 1024): bodies up to 5 MiB).
  it('GLUE scripts get $1 param, $2 shard index, $3 shard total; a 1.5 MiB source runs; 140 kB params come in a file', async () => {
    const { admin, exec, home } = await setup();
    const script = 'echo "p=[$1] i=[$2] t=[$3] n=$#"';
    expect((await admin.trigger(exec, { jobId: 21, logId: 2101, glueType: 'GLUE_SHELL', glueSource: script, params: 'hello', shardIndex: 2, shardTotal: 5 })).code).toBe(200);
    expect((await admin.waitCallback(2101)).handleMsg).toContain('p=[hello] i=[2] t=[5] n=3');
    expect((await admin.trigger(exec, { jobId: 22, logId: 2201, glueType: 'GLUE_SHELL', glueSource: script })).code).toBe(200);
    expect((await admin.waitCallback(2201)).handleMsg).toContain('p=[] i=[0] t=[1] n=3');

    const source = `# ${'x'.repeat(1536 * 1024)}\necho "big glue ran"\n`;
    expect((await admin.trigger(exec, { jobId: 23, logId: 2301, glueType: 'GLUE_SHELL', glueSource: source })).code).toBe(200);
    expect(await admin.waitCallback(2301)).toMatchObject({ handleCode: 200, handleMsg: expect.stringContaining('big glue ran') });

    // 140 kB: more than Linux lets one argument or variable be (128 KiB, E2BIG).
    const params = `HELLO${'p'.repeat(140 * 1024)}`;
    expect((await admin.trigger(exec, { jobId: 24, logId: 2401, handler: 'bigHandler', params })).code).toBe(200);
    const cb = await admin.waitCallback(2401);
    expect(cb.handleCode).toBe(200);
    expect(cb.handleMsg).toContain(`arg=[] env=[0] file=[${params.length}] head=[HELLO]`);
    // The file goes once the run is reported.
    const paramsDir = path.join(homePaths(home).state, 'xxljob', 'params');
    await waitFor(() => !fs.existsSync(paramsDir) || fs.readdirSync(paramsDir).length === 0, 10_000, 'params file removed');
  });

  // Upstream: thread/JobThread.java (after toStop, each queued trigger is called back "[job not
  // executed, in the job queue, killed.]"), executor/XxlJobExecutor.java (destroy: every job thread
  // is removed, "web container destroy and kill the job."). A daemon stopped with a run going and
  // triggers queued reports each of them to the admin exactly once, across the restart, and the
  // queued ones never run.
  it('daemon stopped with a run going and triggers queued: each is reported once, the queued ones as not executed, none runs after', async () => {
    const { admin, exec, home, daemon } = await setup();
    for (const logId of [901, 902, 903]) expect((await admin.trigger(exec, { jobId: 9, logId, handler: 'slowHandler' })).code).toBe(200);
    await waitFor(async () => (await runningTags(daemon, 'slow')).includes('901'), 20_000, 'first of the queue running');
    expect(await daemon.stop()).toBe(0);
    const again = await startTestDaemon(home);
    for (const logId of [901, 902, 903]) expect((await admin.waitCallback(logId)).handleCode).toBe(500);
    await waitFor(async () => {
      const c = await again.client();
      try {
        const x = (await c.call('status', {})).daemon.xxljob;
        return x !== undefined && x.pendingCallbacks === 0 && x.activeRuns === 0;
      } finally {
        c.close();
      }
    }, 20_000, 'nothing left to report');
    for (const logId of [901, 902, 903]) expect(admin.callbacks.filter((c) => c.logId === logId)).toHaveLength(1);
    for (const logId of [902, 903]) {
      const msg = admin.callbacks.find((c) => c.logId === logId)!.handleMsg;
      expect(msg).toContain('job not executed');
      expect(msg).not.toContain('is not a cron task');
    }
    expect((await history(again, 'slow')).some((r) => r.tag === '902' || r.tag === '903')).toBe(false);
    expect(await again.stop()).toBe(0);
  });

  // Linux's MAX_ARG_STRLEN (128 KiB per argument or variable): params of exactly
  // MAX_INLINE_PARAMS bytes still come as $1 and JOBCTL_PARAMS; one byte more, in a file.
  it('params exactly at the inline bound come as the argument and the variable; one byte more, in JOBCTL_PARAMS_FILE', async () => {
    const { admin, exec } = await setup();
    const at = 'é'.repeat(MAX_INLINE_PARAMS / 2);
    expect((await admin.trigger(exec, { jobId: 61, logId: 6101, handler: 'sizeHandler', params: at })).code).toBe(200);
    expect(await admin.waitCallback(6101)).toMatchObject({ handleCode: 200, handleMsg: expect.stringContaining(`arg=${MAX_INLINE_PARAMS} env=${MAX_INLINE_PARAMS} file=\n`) });
    expect((await admin.trigger(exec, { jobId: 61, logId: 6102, handler: 'sizeHandler', params: `${at}x` })).code).toBe(200);
    expect(await admin.waitCallback(6102)).toMatchObject({ handleCode: 200, handleMsg: expect.stringContaining(`arg=0 env=0 file=${MAX_INLINE_PARAMS + 1}`) });
  });

  // Odd bytes from the admin: ScriptUtil.markScriptFile writes the source as it came. A NUL cannot
  // be in an argument or a variable (the spawner cut params there and ran with "a" instead of
  // "a\0b"): such params come whole in JOBCTL_PARAMS_FILE, as large ones do.
  it('a GLUE source with NUL, CR and odd characters runs as sent; params with a NUL come whole in JOBCTL_PARAMS_FILE', async () => {
    const { admin, exec, daemon } = await setup();
    const source = 'printf "%s|" "$1"\n# \u0000 \r \ufffd \ud7ff\necho "odd ok"\n';
    expect((await admin.trigger(exec, { jobId: 71, logId: 7101, glueType: 'GLUE_SHELL', glueSource: source, params: 'é\u0001' })).code).toBe(200);
    expect(await admin.waitCallback(7101)).toMatchObject({ handleCode: 200, handleMsg: expect.stringContaining('odd ok') });
    expect((await admin.trigger(exec, { jobId: 72, logId: 7201, handler: 'sizeHandler', params: 'a\u0000b' })).code).toBe(200);
    expect(await admin.waitCallback(7201)).toMatchObject({ handleCode: 200, handleMsg: expect.stringContaining('arg=0 env=0 file=3') });
    expect((await admin.trigger(exec, { jobId: 72, logId: 7202, handler: 'sizeHandler', params: 'fine' })).code).toBe(200);
    expect((await admin.waitCallback(7202)).handleMsg).toContain('arg=4 env=4 file=\n');
    expect(daemon.child.exitCode).toBeNull();
  });
});
