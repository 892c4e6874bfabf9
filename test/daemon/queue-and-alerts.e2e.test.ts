import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { TaskStatus } from '../../src/shared/protocol.js';
import { jobctl, ROOT } from '../helpers/cli.js';
import { cleanupDaemons, makeHome, startTestDaemon } from '../helpers/daemon.js';
import { hasTool, needs } from '../helpers/tools.js';
import { waitFor } from '../helpers/wait.js';

afterEach(async () => {
  expect(await cleanupDaemons()).toEqual([]);
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

describe('queue workers scaled on a real Redis list', () => {
  let redis: ChildProcess | undefined;
  afterAll(() => {
    redis?.kill('SIGTERM');
  });

  // Needs redis-server (Debian's package; scripts/test-deps.sh installs it).
  it.runIf(hasTool('redis-server') && hasTool('redis-cli'))(`rises to max under 1,000 items, drains them, and falls back to min after the cooldown${needs('redis-server')}`, async () => {
    const port = await freePort();
    redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    await waitFor(async () => (await execa('redis-cli', ['-p', String(port), 'ping'], { reject: false })).stdout === 'PONG', 5000, 'redis up');
    const worker = path.join(ROOT, 'examples/redis-queue/worker.sh');
    const home = makeHome({
      'tasks/mail.yaml': `tasks:
  mail-worker:
    command: ${worker}
    env: { REDIS_PORT: "${port}", QUEUE: mail, WORK_SECONDS: "0.005" }
    stop_timeout: 3s
    start_seconds: 100ms
    scale:
      min: 1
      max: 4
      probe: redis-cli -p "$REDIS_PORT" llen "$QUEUE"
      per_instance: 100
      interval: 300ms
      cooldown: 2s
`,
    });
    await startTestDaemon(home);
    const scale = async () => (JSON.parse((await jobctl(['status', 'mail-worker', '--json'], { home })).stdout).tasks[0] as TaskStatus).scale!;
    await waitFor(async () => (await scale()).backlog === 0, 5000, 'first probe');
    expect(await scale()).toMatchObject({ min: 1, max: 4, current: 1, target: 1, mode: 'auto' });

    const jobs = Array.from({ length: 1000 }, (_, i) => `job-${i}`);
    await execa('redis-cli', ['-p', String(port), 'rpush', 'mail', ...jobs]);
    let peak = 0;
    await waitFor(async () => {
      peak = Math.max(peak, (await scale()).current);
      return peak === 4;
    }, 5000, 'scaled up to max');
    const status = JSON.parse((await jobctl(['status', 'mail-worker', '--json'], { home })).stdout).tasks[0] as TaskStatus;
    expect(status.instances).toHaveLength(4);
    // (Draining is 4,000 short processes: how fast is the machine's business, not what this test checks.)
    await waitFor(async () => (await execa('redis-cli', ['-p', String(port), 'llen', 'mail'])).stdout === '0', 90_000, 'queue drained');
    await waitFor(async () => (await scale()).current === 1, 10_000, 'back to min after the cooldown');
    // Retiring instances show (stopping) until their processes are gone: a worker stops between jobs.
    await waitFor(async () => (JSON.parse((await jobctl(['status', 'mail-worker', '--json'], { home })).stdout).tasks[0] as TaskStatus).instances!.length === 1, 10_000, 'retired instances gone');
    const text = (await jobctl(['status', 'mail-worker'], { home })).stdout;
    expect(text).toMatch(/mail-worker\s+mail\s+service\s+\S+\s+\d\/1 \(1-4, backlog 0\)/);
    // Every job was handled exactly once, by the instances that existed at the time.
    const dir = path.join(home, 'state/logs/mail-worker');
    const logs = fs.readdirSync(dir).filter((f) => f.endsWith('.log')).map((f) => fs.readFileSync(path.join(dir, f), 'utf8')).join('');
    const handled = [...logs.matchAll(/handled (job-\d+)/g)].map((m) => m[1]);
    const seen = new Set(handled);
    expect(jobs.filter((j) => !seen.has(j)), 'jobs never handled (lost in a stop?)').toEqual([]);
    expect(handled).toHaveLength(1000);
    expect(new Set(handled).size).toBe(1000);
    expect(new Set([...logs.matchAll(/worker (\d) handled/g)].map((m) => m[1])).size).toBe(4);
  }, 150_000); // its own waits add up to 120 s (1,000 jobs, each four short processes, on a 2-core machine)

  it('a probe that fails keeps the count and says why in status', async () => {
    const home = makeHome({
      'tasks/q.yaml': 'tasks:\n  q:\n    command: sleep 1000\n    scale: {min: 2, max: 5, probe: "echo no number here", interval: 200ms}\n',
    });
    await startTestDaemon(home);
    await waitFor(async () => (await jobctl(['status', 'q', '--json'], { home })).stdout.includes('printed no number'), 5000, 'probe error');
    const s = JSON.parse((await jobctl(['status', 'q', '--json'], { home })).stdout).tasks[0] as TaskStatus;
    expect(s.scale).toMatchObject({ current: 2, error: 'probe printed no number: "no number here"' });
    expect((await jobctl(['status', 'q'], { home })).stdout).toContain('scale probe: probe printed no number');
  });
});

describe('chat notifications to a local webhook', () => {
  let server: http.Server;
  let received: Array<{ path: string; body: Record<string, unknown> }> = [];
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('sends each format for a failing cron task, one coalesced message for a crash loop, and a test message', async () => {
    received = [];
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        received.push({ path: req.url ?? '', body: JSON.parse(body) });
        res.end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as net.AddressInfo).port;
    process.env.JOBCTL_TEST_HOOK = `http://127.0.0.1:${port}`;
    const formats = ['generic', 'slack', 'dingtalk', 'feishu', 'wecom'];
    const home = makeHome({
      'tasks/alerts.yaml': `notifiers:
${formats.map((f) => `  ${f}-hook: {url: "\${JOBCTL_TEST_HOOK}/${f}", format: ${f}}`).join('\n')}
  crash-hook: {url: "http://127.0.0.1:${port}/crash"}
tasks:
  nightly:
    schedule: "0 0 1 1 *"
    command: echo "disk full, giving up" >&2; exit 3
    notify: {on: [failure], to: [${formats.map((f) => `${f}-hook`).join(', ')}]}
  crashy:
    command: echo "crashing"; exit 1
    start_seconds: 1s
    backoff: {initial: 100ms, max: 200ms}
    max_restarts: 1000
    start_retries: 1000
    notify: {on: [failure, fatal], to: [crash-hook]}
`,
    });
    await startTestDaemon(home);
    expect((await jobctl(['run', 'nightly'], { home })).code).toBe(0);
    await waitFor(() => formats.every((f) => received.some((r) => r.path === `/${f}`)), 10_000, 'a message in every format');
    const by = (p: string) => received.find((r) => r.path === p)!.body;
    expect(by('/generic')).toMatchObject({ source: 'jobctl', task: 'nightly', event: 'failure', exit_code: 3, message: 'exited with code 3', count: 1 });
    expect((by('/generic').lines as string[]).join('\n')).toContain('[err] disk full, giving up');
    expect(by('/slack')).toMatchObject({ text: expect.stringMatching(/^\[jobctl\] nightly on \S+: failure \(exit code 3\): exited with code 3$/) });
    expect(by('/dingtalk')).toMatchObject({ msgtype: 'text', text: { content: expect.stringContaining('disk full, giving up') } });
    expect(by('/feishu')).toMatchObject({ msg_type: 'text', content: { text: expect.stringContaining('nightly') } });
    expect(by('/wecom')).toMatchObject({ msgtype: 'text', text: { content: expect.stringContaining('exit code 3') } });

    // The crash loop restarts many times, but the team gets one message (the rest wait for the minute's summary).
    await waitFor(async () => {
      const s = JSON.parse((await jobctl(['status', 'crashy', '--json'], { home })).stdout).tasks[0] as TaskStatus;
      return s.restarts >= 8;
    }, 10_000, 'a crash loop');
    const crash = received.filter((r) => r.path === '/crash');
    expect(crash).toHaveLength(1);
    expect(crash[0]!.body).toMatchObject({ task: 'crashy', event: 'failure', exit_code: 1, count: 1 });

    const test = await jobctl(['notify', 'test', 'slack-hook'], { home });
    expect(test).toMatchObject({ code: 0, stdout: 'sent a test message through "slack-hook" (HTTP 200)' });
    const unknown = await jobctl(['notify', 'test', 'nope'], { home });
    expect(unknown.stderr).toBe('jobctl: no notifier "nope"; define it under notifiers: in a task file');
  });
});
