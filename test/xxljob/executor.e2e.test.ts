import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { homePaths } from '../../src/shared/paths.js';
import { jobctl } from '../helpers/cli.js';
import { cleanupDaemons, makeHome, processesOfHome, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { waitFor } from '../helpers/wait.js';
import { TestAdmin } from '../helpers/xxl-admin.js';

/**
 * Executor mode end to end: a real daemon, a test admin on 127.0.0.1, real runs.
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
  report:
    command: 'echo "hello params=$JOBCTL_PARAMS arg=$1 shard=$JOBCTL_SHARD_INDEX/$JOBCTL_SHARD_TOTAL"; echo line2; echo line3'
    xxljob: {handler: reportHandler}
  broken:
    command: 'echo about to fail; echo "bad thing" >&2; exit 3'
    xxljob: {handler: brokenHandler}
  slow:
    command: 'echo "started $$"; sleep 60 & echo "child $!"; sleep 60; wait'
    stop_timeout: 1s
    xxljob: {handler: slowHandler}
  glue-ok:
    command: 'echo glue task'
    xxljob: {handler: glueHandler, glue: true}
  local:
    command: 'echo local'
    schedule: '0 0 1 1 *'
`;

interface Setup {
  admin: TestAdmin;
  daemon: TestDaemon;
  home: string;
  exec: string;
}

async function setup(opts: { token?: string; version?: 2 | 3; tasks?: string; home?: string } = {}): Promise<Setup> {
  const token = opts.token ?? 'sesame';
  const admin = new TestAdmin({ token, ...(opts.version ? { version: opts.version } : {}) });
  admins.push(admin);
  await admin.up();
  const port = await freePort();
  const home = opts.home ?? makeHome({ 'tasks/xxl.yaml': opts.tasks ?? TASKS });
  fs.writeFileSync(path.join(home, 'jobctl.yaml'), `xxljob:
  admin: ${admin.base}
  appname: jobctl-e2e
  access_token: \${XXL_TOKEN}
  listen: 127.0.0.1:${port}
  version: ${opts.version ?? 2}
`);
  const daemon = await startTestDaemon(home, { XXL_TOKEN: token });
  const exec = await admin.executor('jobctl-e2e');
  return { admin, daemon, home, exec };
}

/** Live pids of a task's runs (their environment carries JOBCTL_TASK). */
function taskPids(home: string, task: string): number[] {
  return processesOfHome(home).filter((pid) => {
    try {
      return fs.readFileSync(`/proc/${pid}/environ`, 'utf8').includes(`\0JOBCTL_TASK=${task}\0`);
    } catch {
      return false;
    }
  });
}

/** A process that exists and is not a zombie. */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function history(d: TestDaemon, task: string) {
  const c = await d.client();
  try {
    return (await c.call('history', { task })).runs;
  } finally {
    c.close();
  }
}

describe('xxl-job executor mode', { timeout: 90_000 }, () => {
  it('registers, runs a trigger, calls back 200 with the logId, pages the log, and records the run', async () => {
    const { admin, daemon, exec, home } = await setup();
    expect(exec).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect((await admin.beat(exec)).code).toBe(200);
    const r = await admin.trigger(exec, { jobId: 1, logId: 101, handler: 'reportHandler', params: 'a b', shardIndex: 2, shardTotal: 5 });
    expect(r).toMatchObject({ code: 200 });
    const cb = await admin.waitCallback(101);
    expect(cb.handleCode).toBe(200);
    expect(cb.logDateTim).toBe(1_700_000_000_101);
    expect(cb.handleMsg).toContain('succeeded');
    expect(cb.handleMsg).toContain('hello params=a b arg=a b shard=2/5');
    const log = await admin.fullLog(exec, 101);
    expect(log).toContain('hello params=a b arg=a b shard=2/5');
    expect(log).toContain('line3');
    // Paging by line numbers: from line 2 leaves out line 1.
    const page = (await admin.log(exec, 101, 2)).payload as { fromLineNum: number; toLineNum: number; logContent: string; isEnd: boolean };
    expect(page.fromLineNum).toBe(2);
    expect(page.logContent.split('\n')[0]).not.toContain('run ');
    expect(page.toLineNum).toBeGreaterThanOrEqual(4);
    expect(page.isEnd).toBe(true);
    expect((await admin.log(exec, 101, 1)).raw).toHaveProperty('content');
    const runs = await history(daemon, 'report');
    expect(runs.at(-1)).toMatchObject({ trigger: 'xxljob', triggeredBy: 'xxl-job', state: 'succeeded', tag: '101' });
    // Shown in status, and the on-demand task is runnable locally.
    const st = await jobctl(['status'], { home });
    expect(st.stdout).toMatch(/xxl-job executor "jobctl-e2e": registered as http:\/\/127\.0\.0\.1/);
    expect(st.stdout).toMatch(/report\s+xxl\s+cron\s+on-demand/);
    expect((await jobctl(['history', 'report'], { home })).stdout).toContain('xxljob (log 101)');
    const local = await jobctl(['run', 'report'], { home });
    expect(local.code).toBe(0);
    await waitFor(async () => (await history(daemon, 'report')).some((x) => x.trigger === 'manual' && x.state === 'succeeded'), 10_000, 'local run');
  });

  it('a failing script calls back 500 with its output', async () => {
    const { admin, exec } = await setup();
    expect((await admin.trigger(exec, { jobId: 2, logId: 201, handler: 'brokenHandler' })).code).toBe(200);
    const cb = await admin.waitCallback(201);
    expect(cb.handleCode).toBe(500);
    expect(cb.handleMsg).toContain('failed, exit 3');
    expect(cb.handleMsg).toContain('bad thing');
  });

  it('a failed trigger is not retried here, though the task has retries: the admin retries its own triggers', async () => {
    const tasks = `tasks:\n  flaky:\n    command: 'exit 3'\n    schedule: '0 0 1 1 *'\n    retries: 2\n    retry_delay: 200ms\n    xxljob: {handler: flakyHandler}\n`;
    const { admin, exec, daemon, home } = await setup({ tasks });
    expect((await admin.trigger(exec, { jobId: 3, logId: 301, handler: 'flakyHandler' })).code).toBe(200);
    expect((await admin.waitCallback(301)).handleCode).toBe(500);
    // A local run of the same task is retried: once its two retries have ended, an admin's
    // retry (same delays, started earlier) would have too.
    expect((await jobctl(['run', 'flaky'], { home })).code).toBe(0);
    await waitFor(async () => (await history(daemon, 'flaky')).filter((r) => r.trigger === 'retry' && r.state === 'failed').length >= 2, 20_000, 'the local run retried twice');
    const runs = await history(daemon, 'flaky');
    const local = runs.find((r) => r.trigger === 'manual')!;
    expect(runs.filter((r) => r.trigger === 'xxljob').map((r) => r.state)).toEqual(['failed']);
    expect(runs.filter((r) => r.trigger === 'retry').map((r) => r.scheduledAt)).toEqual([local.scheduledAt, local.scheduledAt]);
  });

  it('executorTimeout ends the run as 502 and the whole process group is gone', async () => {
    const { admin, exec, home } = await setup();
    expect((await admin.trigger(exec, { jobId: 3, logId: 301, handler: 'slowHandler', timeout: 1 })).code).toBe(200);
    const cb = await admin.waitCallback(301);
    expect(cb.handleCode).toBe(502);
    expect(cb.handleMsg).toContain('timed-out');
    // The shell and its background child printed their pids; the callback goes once the run
    // has ended, and a run ends once its group is gone.
    const pids = [/started (\d+)/, /child (\d+)/].map((re) => Number(re.exec(cb.handleMsg)?.[1]));
    expect(pids.every((p) => p > 1)).toBe(true);
    expect(pids.filter(alive)).toEqual([]);
    expect(taskPids(home, 'slow')).toEqual([]);
  });

  it('DISCARD_LATER is refused while busy and /idleBeat says busy; /kill ends the run with 500', async () => {
    const { admin, exec } = await setup();
    expect((await admin.idleBeat(exec, 4)).code).toBe(200);
    expect((await admin.trigger(exec, { jobId: 4, logId: 401, handler: 'slowHandler', block: 'DISCARD_LATER' })).code).toBe(200);
    const busy = await admin.idleBeat(exec, 4);
    expect(busy).toMatchObject({ code: 500, msg: 'job thread is running or has trigger queue.' });
    const refused = await admin.trigger(exec, { jobId: 4, logId: 402, handler: 'slowHandler', block: 'DISCARD_LATER' });
    expect(refused.code).toBe(500);
    expect(refused.msg).toContain('Discard Later');
    // The same logId again is refused too.
    expect((await admin.trigger(exec, { jobId: 4, logId: 401, handler: 'slowHandler' })).msg).toContain('repeate trigger job');
    expect((await admin.kill(exec, 4)).code).toBe(200);
    const cb = await admin.waitCallback(401);
    expect(cb.handleCode).toBe(500);
    expect(cb.handleMsg).toContain('scheduling center kill job.');
    await waitFor(async () => (await admin.idleBeat(exec, 4)).code === 200, 10_000, 'idle again');
    expect(admin.callbacks.find((c) => c.logId === 402)).toBeUndefined();
  });

  it('COVER_EARLY kills the running run and starts the new one; SERIAL_EXECUTION queues', async () => {
    const { admin, exec, daemon } = await setup();
    expect((await admin.trigger(exec, { jobId: 5, logId: 501, handler: 'slowHandler', block: 'COVER_EARLY' })).code).toBe(200);
    await waitFor(async () => (await history(daemon, 'slow')).some((r) => r.tag === '501' && r.state === 'running'), 10_000, 'first run');
    expect((await admin.trigger(exec, { jobId: 5, logId: 502, handler: 'slowHandler', block: 'COVER_EARLY' })).code).toBe(200);
    const first = await admin.waitCallback(501);
    expect(first.handleCode).toBe(500);
    expect(first.handleMsg).toContain('block strategy effect：Cover Early');
    await waitFor(async () => (await history(daemon, 'slow')).some((r) => r.tag === '502' && r.state === 'running'), 10_000, 'second run');
    // SERIAL: queued behind the running one (in the job's queue: no run yet), starts when it ends.
    expect((await admin.trigger(exec, { jobId: 5, logId: 503, handler: 'slowHandler', block: 'SERIAL_EXECUTION' })).code).toBe(200);
    expect((await history(daemon, 'slow')).find((r) => r.tag === '503')).toBeUndefined();
    expect((await admin.idleBeat(exec, 5)).code).toBe(500);
    const c = await daemon.client();
    await c.call('kill', { task: 'slow', signal: 'SIGKILL' });
    c.close();
    expect((await admin.waitCallback(502)).handleCode).toBe(500);
    await waitFor(async () => (await history(daemon, 'slow')).some((r) => r.tag === '503' && r.state === 'running'), 10_000, 'queued run started');
    expect((await admin.kill(exec, 5)).code).toBe(200);
    expect((await admin.waitCallback(503)).handleCode).toBe(500);
  });

  it('admin down during a run: the callback is delivered when it is back, also across a daemon restart', async () => {
    const { admin, exec, daemon, home } = await setup();
    await admin.down();
    // The admin is down: send the trigger as the admin would have, just before.
    await admin.up();
    expect((await admin.trigger(exec, { jobId: 6, logId: 601, handler: 'reportHandler' })).code).toBe(200);
    await admin.down();
    await waitFor(async () => (await history(daemon, 'report')).some((r) => r.tag === '601' && r.state === 'succeeded'), 10_000, 'run ended');
    const pendingDir = path.join(homePaths(home).state, 'xxljob', 'callbacks');
    await waitFor(() => fs.existsSync(path.join(pendingDir, '601.json')), 5000, 'pending callback on disk');
    await admin.up();
    expect((await admin.waitCallback(601, 45_000)).handleCode).toBe(200);
    await waitFor(() => !fs.existsSync(path.join(pendingDir, '601.json')), 5000, 'pending callback removed');

    // Again, but the daemon restarts while the admin is down.
    expect((await admin.trigger(exec, { jobId: 6, logId: 602, handler: 'brokenHandler' })).code).toBe(200);
    await admin.down();
    await waitFor(() => fs.existsSync(path.join(pendingDir, '602.json')), 15_000, 'pending callback on disk');
    await daemon.stop();
    expect(admin.callbacks.find((c) => c.logId === 602)).toBeUndefined();
    await admin.up();
    const again = await startTestDaemon(home, { XXL_TOKEN: 'sesame' });
    const cb = await admin.waitCallback(602, 20_000);
    expect(cb.handleCode).toBe(500);
    expect(cb.handleMsg).toContain('bad thing');
    // A clean stop removes the registration.
    await again.stop();
    expect(admin.removed).toContainEqual({ key: 'jobctl-e2e', value: exec });
  });

  it('refuses a wrong or missing token, GLUE code unless the task allows it, and triggers of a stopped task', async () => {
    const { admin, exec, home } = await setup();
    for (const token of ['wrong', null]) {
      const r = await admin.call(exec, '/run', { jobId: 7, logId: 701, executorHandler: 'reportHandler' }, { token });
      expect(r).toMatchObject({ code: 500, msg: 'The access token is wrong.' });
    }
    const glueRefused = await admin.trigger(exec, { jobId: 7, logId: 702, handler: 'reportHandler', glueType: 'GLUE_SHELL', glueSource: 'echo hi' });
    expect(glueRefused.code).toBe(500);
    expect(glueRefused.msg).toContain('xxljob: {glue: true}');
    const unknown = await admin.trigger(exec, { jobId: 7, logId: 703, handler: 'nope' });
    expect(unknown).toMatchObject({ code: 500, msg: 'job handler [nope] not found.' });
    expect(admin.callbacks).toEqual([]);
    // A task with glue: true runs the admin's source (the admin sends no handler for GLUE jobs).
    const groovy = await admin.trigger(exec, { jobId: 9, logId: 704, glueType: 'GLUE_GROOVY', glueSource: 'class X {}' });
    expect(groovy.code).toBe(500);
    expect(groovy.msg).toContain('not supported');
    const glue = await admin.trigger(exec, { jobId: 9, logId: 705, glueType: 'GLUE_SHELL', glueSource: 'echo "glue says $1 from $JOBCTL_TASK"', params: 'p1' });
    expect(glue.code).toBe(200);
    const cb = await admin.waitCallback(705);
    expect(cb.handleCode).toBe(200);
    expect(cb.handleMsg).toContain('glue says p1 from glue-ok');
    // A stopped task refuses triggers until it is started again.
    expect((await jobctl(['stop', 'report'], { home })).code).toBe(0);
    const stopped = await admin.trigger(exec, { jobId: 1, logId: 706, handler: 'reportHandler' });
    expect(stopped.code).toBe(500);
    expect(stopped.msg).toContain('the task was stopped');
    expect((await jobctl(['start', 'report'], { home })).code).toBe(0);
    expect((await admin.trigger(exec, { jobId: 1, logId: 707, handler: 'reportHandler' })).code).toBe(200);
    expect((await admin.waitCallback(707)).handleCode).toBe(200);
  });

  it('answers malformed JSON, an oversized body, non-POST and unknown paths by the protocol, and keeps running', async () => {
    const { admin, exec, daemon } = await setup();
    const bad = await admin.call(exec, '/run', null, { raw: '{"jobId": 1, ' });
    expect(bad.code).toBe(500);
    expect(bad.msg).toContain('not JSON');
    const wrongShape = await admin.call(exec, '/run', { jobId: 'x' });
    expect(wrongShape.code).toBe(500);
    expect(wrongShape.msg).toContain('jobId');
    // The Java executor's bound: 5 MiB (EmbedServer's HttpObjectAggregator).
    const big = await admin.call(exec, '/run', null, { raw: JSON.stringify({ jobId: 1, logId: 1, executorParams: 'x'.repeat(5 * 1024 * 1024) }) });
    expect(big.code).toBe(500);
    expect(big.msg).toContain('larger than');
    const get = await admin.call(exec, '/beat', null, { method: 'GET' });
    expect(get).toMatchObject({ code: 500, msg: 'invalid request, HttpMethod not support.' });
    expect((await admin.call(exec, '/nope', {})).msg).toBe('invalid request, uri-mapping(/nope) not found.');
    // Upstream ExecutorBizImpl.log reads the run's file; jobctl's run logs follow the task's history, and /log says so.
    expect((await admin.log(exec, 999_999, 1)).payload).toMatchObject({ toLineNum: 0, isEnd: true, logContent: expect.stringContaining('history:') });
    // Still serving and the daemon still answers.
    expect((await admin.beat(exec)).code).toBe(200);
    const c = await daemon.client();
    expect((await c.call('status', {})).daemon.xxljob).toMatchObject({ registered: true, appname: 'jobctl-e2e' });
    c.close();
  });

  it('speaks wire version 3 (data instead of content)', async () => {
    const { admin, exec } = await setup({ version: 3 });
    const r = await admin.trigger(exec, { jobId: 8, logId: 801, handler: 'reportHandler' });
    expect(r.code).toBe(200);
    expect(r.raw).not.toHaveProperty('content');
    expect((await admin.waitCallback(801)).handleCode).toBe(200);
    const page = await admin.log(exec, 801, 1);
    expect(page.raw).toHaveProperty('data');
    expect((page.payload as { logContent: string }).logContent).toContain('hello');
  });

  it('applies jobctl.yaml changes live: token, admin unreachable, and removal unregisters and stops serving', async () => {
    const { admin, exec, home, daemon } = await setup();
    const yaml = path.join(home, 'jobctl.yaml');
    const port = Number(new URL(exec).port);
    // A new token: the old one is refused from then on.
    fs.writeFileSync(yaml, fs.readFileSync(yaml, 'utf8').replace('${XXL_TOKEN}', 'rotated'));
    await waitFor(async () => (await admin.call(exec, '/beat', {}, { token: 'rotated' })).code === 200, 15_000, 'new token accepted');
    expect((await admin.beat(exec)).msg).toBe('The access token is wrong.');
    // An admin nobody answers at: status says not registered, and why.
    const dead = await freePort();
    fs.writeFileSync(yaml, `xxljob:\n  admin: http://127.0.0.1:${dead}/xxl-job-admin\n  appname: jobctl-e2e\n  listen: 127.0.0.1:${port}\n`);
    const c = await daemon.client();
    const st = await waitFor(async () => {
      const x = (await c.call('status', {})).daemon.xxljob;
      return x && !x.registered && x.lastError?.includes('ECONNREFUSED') ? x : undefined;
    }, 15_000, 'not registered with the error');
    expect(st).toMatchObject({ enabled: true, listen: `127.0.0.1:${port}` });
    expect(admin.removed).toContainEqual({ key: 'jobctl-e2e', value: exec }); // the old admin was told
    expect((await jobctl(['status'], { home })).stdout).toMatch(/not registered[\s\S]*ECONNREFUSED/);
    // xxljob: removed: the server closes.
    fs.writeFileSync(yaml, 'labels: [x]\n');
    await waitFor(async () => (await c.call('status', {})).daemon.xxljob === undefined, 15_000, 'executor off');
    await expect(admin.beat(exec)).rejects.toThrow();
    c.close();
  });

  it('a run cut short by a daemon stop or crash is still reported to the admin', async () => {
    const { admin, exec, daemon, home } = await setup();
    expect((await admin.trigger(exec, { jobId: 10, logId: 1001, handler: 'slowHandler' })).code).toBe(200);
    await waitFor(async () => (await history(daemon, 'slow')).some((r) => r.tag === '1001' && r.state === 'running'), 10_000, 'run started');
    await daemon.stop();
    const stopped = await admin.waitCallback(1001);
    expect(stopped.handleCode).toBe(500);
    expect(stopped.handleMsg).toContain('killed');
    // A crash (SIGKILL) mid-run: the next daemon reports the run from what it kept on disk.
    const second = await startTestDaemon(home, { XXL_TOKEN: 'sesame' });
    const exec2 = await waitFor(() => [...(admin.registrations.get('jobctl-e2e') ?? [])][0], 15_000, 'registered again');
    expect((await admin.trigger(exec2!, { jobId: 10, logId: 1002, handler: 'slowHandler' })).code).toBe(200);
    await waitFor(async () => (await history(second, 'slow')).some((r) => r.tag === '1002' && r.state === 'running'), 10_000, 'run started');
    // The run's group is on disk (for the next daemon's orphan sweep) before the crash.
    await waitFor(() => {
      try {
        return fs.readFileSync(homePaths(home).children, 'utf8').includes('slow/run/');
      } catch {
        return false;
      }
    }, 10_000, 'child record written');
    second.child.kill('SIGKILL');
    await new Promise((r) => second.child.once('exit', r));
    const third = await startTestDaemon(home, { XXL_TOKEN: 'sesame' });
    const lost = await admin.waitCallback(1002);
    expect(lost.handleCode).toBe(500);
    expect(lost.handleMsg).toMatch(/the daemon stopped before this run ended|lost/);
    await third.stop();
  });

  it('a listen address in use is reported and tried again until it is free', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as net.AddressInfo).port;
    const admin = new TestAdmin();
    admins.push(admin);
    await admin.up();
    const home = makeHome({ 'tasks/xxl.yaml': TASKS, 'jobctl.yaml': `xxljob:\n  admin: ${admin.base}\n  appname: busy-port\n  listen: 127.0.0.1:${port}\n` });
    const daemon = await startTestDaemon(home);
    const c = await daemon.client();
    const st = await waitFor(async () => (await c.call('status', {})).daemon.xxljob?.lastError, 10_000, 'listen error');
    expect(st).toContain('the port is in use');
    expect(admin.registrations.size).toBe(0);
    await new Promise((r) => blocker.close(r));
    const exec = await admin.executor('busy-port', 20_000);
    expect(exec).toBe(`http://127.0.0.1:${port}/`);
    expect((await admin.beat(exec)).code).toBe(200);
    expect((await c.call('status', {})).daemon.xxljob).toMatchObject({ registered: true });
    expect((await c.call('status', {})).daemon.xxljob?.lastError).toBeUndefined();
    c.close();
  });

  it('an on-demand task that gains a schedule is scheduled, and on-demand again without it; triggers work throughout', async () => {
    const { admin, exec, home, daemon } = await setup();
    const file = path.join(home, 'tasks/xxl.yaml');
    const c = await daemon.client();
    const state = async () => (await c.call('status', { target: 'report' })).tasks[0]!;
    expect((await state()).state).toBe('on-demand');
    fs.writeFileSync(file, TASKS.replace("xxljob: {handler: reportHandler}", "xxljob: {handler: reportHandler}\n    schedule: '0 0 1 1 *'"));
    const scheduled = await waitFor(async () => ((await state()).state === 'scheduled' ? await state() : undefined), 15_000, 'scheduled');
    expect(scheduled!.nextRunAt).toBeGreaterThan(Date.now());
    expect((await admin.trigger(exec, { jobId: 11, logId: 1101, handler: 'reportHandler' })).code).toBe(200);
    expect((await admin.waitCallback(1101)).handleCode).toBe(200);
    fs.writeFileSync(file, TASKS);
    await waitFor(async () => (await state()).state === 'on-demand', 15_000, 'on demand again');
    expect((await state()).nextRunAt).toBeUndefined();
    expect((await admin.trigger(exec, { jobId: 11, logId: 1102, handler: 'reportHandler' })).code).toBe(200);
    expect((await admin.waitCallback(1102)).handleCode).toBe(200);
    c.close();
  });
});
