import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import type { JobctlClient } from '../../src/api/client.js';
import type { TaskStatus } from '../../src/shared/protocol.js';
import { jobctl } from '../helpers/cli.js';
import { cleanupDaemons, makeHome, startTestDaemon } from '../helpers/daemon.js';
import { waitFor } from '../helpers/wait.js';

/**
 * depends_on and rolling restarts on a real daemon: real processes, real health probes,
 * the order seen in the daemon's own event log.
 */

afterEach(async () => {
  expect(await cleanupDaemons()).toEqual([]);
});

async function statusOf(c: JobctlClient): Promise<Record<string, TaskStatus>> {
  const s = await c.call('status', {});
  return Object.fromEntries(s.tasks.map((t) => [t.name, t]));
}

/** waitFor for a value: resolves with what `cond` found. */
async function until<T>(cond: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  return (await waitFor(cond, timeoutMs, what)) as T;
}

/** Count the running instances of a task over and over until stop() is called; resolves with the counts. */
function sampleRunning(c: JobctlClient, task: string): { stop: () => Promise<number[]> } {
  const samples: number[] = [];
  let sampling = true;
  const loop = (async () => {
    while (sampling) {
      samples.push((await statusOf(c))[task]!.instances!.filter((i) => i.state === 'running').length);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return { stop: async () => {
    sampling = false;
    await loop;
    return samples;
  } };
}

/** Lines of the daemon log that match, in order, without the timestamp. */
function logLines(output: string, re: RegExp): string[] {
  return output.split('\n').filter((l) => re.test(l)).map((l) => l.replace(/^\S+\s+/, ''));
}

describe('depends_on', () => {
  it('a chain c (completed) -> b (healthy) -> a starts in order, shows why it waits, and stops in reverse', async () => {
    // c: a one-shot that succeeds once the test lets it (the file \`go\`: the waiting is seen
    // first, however slow the machine). b: healthy once its ready file exists (1 s after start).
    // a: needs b healthy. Started all at once; the daemon must hold a and b back.
    const home = makeHome({
      'tasks/chain.yaml': `tasks:
  c:
    command: while [ ! -f "$JOBCTL_HOME/go" ]; do sleep 0.05; done; echo migrated
    restart: never
  b:
    command: sleep 1; touch ready-$JOBCTL_INSTANCE; exec sleep 1000
    start_seconds: 200ms
    depends_on: {c: completed}
    health: {command: "test -f ready-$JOBCTL_INSTANCE", interval: 200ms, start_period: 10s}
  a:
    command: exec sleep 1000
    start_seconds: 200ms
    depends_on: {b: healthy}
`,
    });
    const d = await startTestDaemon(home);
    const c = await d.client();
    try {
      const first = await statusOf(c);
      expect(first.a).toMatchObject({ state: 'waiting', waiting: expect.stringMatching(/^waiting for b: /) });
      expect(first.b).toMatchObject({ state: 'waiting', waiting: expect.stringMatching(/^waiting for c: (starting|running) \(needs completed\)$/) });
      expect(first.a!.instances![0]!.state).toBe('stopped');

      // Seen from the CLI too, while it waits.
      const cli = await jobctl(['status', 'a'], { home });
      expect(cli.stdout).toMatch(/waiting for b: (waiting for its own dependencies|stopped|starting) \(needs healthy\)/);
      fs.writeFileSync(path.join(home, 'go'), '');

      const ready = await until(async () => {
        const s = await statusOf(c);
        return s.a!.instances![0]!.state === 'running' ? s : undefined;
      }, 20_000, 'a running');
      expect(ready.a!.waiting).toBeUndefined();
      expect(ready.c!.instances![0]).toMatchObject({ state: 'exited', lastExit: { code: 0 } });
      expect(ready.b!.instances![0]!.health).toMatchObject({ state: 'healthy' });
      // a started only after b was healthy, b only after c had exited.
      expect(ready.a!.instances![0]!.startedAt!).toBeGreaterThanOrEqual(ready.b!.instances![0]!.health!.since);
      expect(ready.b!.instances![0]!.startedAt!).toBeGreaterThanOrEqual(ready.c!.instances![0]!.lastExit!.at);

      const json = JSON.parse((await jobctl(['status', 'b', '--json'], { home })).stdout) as { tasks: TaskStatus[] };
      expect(json.tasks[0]!.instances![0]!.health).toMatchObject({ state: 'healthy', failures: 0, lastProbe: { ok: true, output: '' } });
    } finally {
      c.close();
    }
    await d.stop();
    const out = d.output();
    expect(logLines(out, /waiting for|dependencies ready/).map((l) => l.replace(/^\S+\s+/, ''))).toEqual(expect.arrayContaining([
      expect.stringMatching(/b.*waiting for c: (starting|running) \(needs completed\)/),
      expect.stringMatching(/b.*dependencies ready: starting/),
      expect.stringMatching(/a.*dependencies ready: starting/),
    ]));
    const stops = logLines(out, /stopping [a-z, ]+$/).map((l) => /stopping ([a-z, ]+)$/.exec(l)![1]);
    expect(stops).toEqual(['a', 'b', 'c']);
  });

  it('a task enabled in its file waits for its depends_on; stop of a dependency leaves its dependents running', async () => {
    const home = makeHome({
      'tasks/db.yaml': `tasks:
  db:
    command: sleep 1; touch db-ready; exec sleep 1000
    start_seconds: 200ms
    health: {command: "test -f db-ready", interval: 200ms, start_period: 10s}
`,
      'tasks/app.yaml': `tasks:
  app:
    command: exec sleep 1000
    enabled: false
    start_seconds: 200ms
    depends_on: {db: healthy}
`,
    });
    const d = await startTestDaemon(home);
    const c = await d.client();
    try {
      fs.writeFileSync(path.join(home, 'tasks/app.yaml'), fs.readFileSync(path.join(home, 'tasks/app.yaml'), 'utf8').replace('enabled: false', 'enabled: true'));
      await jobctl(['reload'], { home });
      const s = await statusOf(c);
      // db is not healthy yet (its ready file comes after 1 s): app must wait, not run.
      if (s.db!.instances![0]!.health?.state !== 'healthy') {
        expect(s.app).toMatchObject({ state: 'waiting', waiting: expect.stringMatching(/^waiting for db: /) });
        expect(s.app!.instances![0]!.state).toBe('stopped');
      }
      const ready = await until(async () => {
        const t = await statusOf(c);
        return t.app!.instances![0]!.state === 'running' ? t : undefined;
      }, 20_000, 'app running');
      expect(ready.app!.instances![0]!.startedAt!).toBeGreaterThanOrEqual(ready.db!.instances![0]!.health!.since);
      // The process-compose choice (docs/health-and-order.md "Start order"): stopping db stops db only.
      await jobctl(['stop', 'db'], { home });
      const after = await statusOf(c);
      expect(after.db!.instances![0]!.state).toBe('stopped');
      expect(after.app!.instances![0]!.state).toBe('running');
    } finally {
      c.close();
    }
    await d.stop();
  });

  it('a dependency that never becomes healthy keeps its dependent waiting with the reason, and notifies unhealthy', async () => {
    // A real webhook receiver for notify: {on: [unhealthy]}.
    const posts: Array<{ task: string; event: string; message: string }> = [];
    const hook = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        posts.push(JSON.parse(body) as { task: string; event: string; message: string });
        res.end('ok');
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    onTestFinished(() => new Promise<void>((r) => hook.close(() => r())));
    const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
    const home = makeHome({
      'tasks/app.yaml': `notifiers:
  ops: {url: "${hookUrl}"}
tasks:
  db:
    command: exec sleep 1000
    start_seconds: 100ms
    notify: {on: [unhealthy], to: [ops]}
    health: {command: "echo 'connection refused'; exit 1", interval: 200ms, failures: 0}
  web:
    command: exec sleep 1000
    depends_on: {db: healthy}
`,
    });
    const d = await startTestDaemon(home);
    const c = await d.client();
    try {
      const s = await until(async () => {
        const st = await statusOf(c);
        return st.web!.waiting === 'waiting for db: unhealthy (needs healthy)' ? st : undefined;
      }, 10_000, 'web waiting for an unhealthy db');
      expect(s.web!.state).toBe('waiting');
      expect(s.db!.instances![0]!.health).toMatchObject({ state: 'unhealthy', lastProbe: { ok: false, output: 'health command exited with code 1\nconnection refused' } });
      // A stop cancels the wait; a start waits again.
      await c.call('stop', { target: 'web' });
      expect((await statusOf(c)).web!.state).toBe('stopped');
      const started = await c.call('start', { target: 'web' });
      expect(started.tasks[0]).toMatchObject({ state: 'waiting', waiting: 'waiting for db: unhealthy (needs healthy)' });
      const cli = await jobctl(['status'], { home });
      expect(cli.stdout).toMatch(/^db\s+app\s+service\s+running\s+unhealthy/m);
      expect(cli.stdout).toMatch(/^web\s+app\s+service\s+waiting\s+-/m);
      await waitFor(() => posts.length > 0, 10_000, 'unhealthy notice');
      expect(posts[0]).toMatchObject({ task: 'db', event: 'unhealthy', message: 'health check failed once: health command exited with code 1' });
      // `jobctl run` is explicit: it starts the task without waiting.
      expect((await jobctl(['run', 'web'], { home })).code).toBe(0);
      await waitFor(async () => (await statusOf(c)).web!.state === 'running', 10_000, 'web running');
      expect((await statusOf(c)).web!.waiting).toBeUndefined();
    } finally {
      c.close();
    }
  });

  it('a start of a task already running while its dependency is down keeps it running, not waiting (systemd: start of an active unit is a no-op)', async () => {
    const home = makeHome({
      'tasks/app.yaml': `tasks:
  db: {command: exec sleep 1000, start_seconds: 100ms}
  api: {command: exec sleep 1000, start_seconds: 100ms, depends_on: {db: started}}
  tick: {command: "true", schedule: "0 0 1 1 *", depends_on: {db: started}}
`,
    });
    const d = await startTestDaemon(home);
    const c = await d.client();
    try {
      const up = await until(async () => {
        const s = await statusOf(c);
        return s.api!.running === 1 && s.tick!.state === 'scheduled' ? s : undefined;
      }, 10_000, 'api running, tick scheduled');
      expect((await jobctl(['stop', 'db'], { home })).code).toBe(0);
      for (const t of ['api', 'tick']) expect((await jobctl(['start', t], { home })).code).toBe(0);
      const s = await statusOf(c);
      expect(s.api).toMatchObject({ state: 'running', running: 1 });
      expect(s.api!.waiting).toBeUndefined();
      expect(s.api!.instances![0]!.pid).toBe(up.api!.instances![0]!.pid);
      expect(s.tick).toMatchObject({ state: 'scheduled' });
      expect(s.tick!.waiting).toBeUndefined();
      // A rolling restart of the running task is not refused as "has not started".
      expect((await jobctl(['restart', '--rolling', 'api'], { home })).code).toBe(0);
    } finally {
      c.close();
    }
    await d.stop();
  });

  it('a cron task waiting for its own dependencies is not "started" for its dependents', async () => {
    const home = makeHome({
      'tasks/app.yaml': `tasks:
  d: {command: exec sleep 1000, enabled: false}
  c: {command: "true", schedule: "0 0 1 1 *", depends_on: {d: started}}
  e: {command: exec sleep 1000, start_seconds: 100ms, depends_on: {c: started}}
`,
    });
    const d = await startTestDaemon(home);
    const c = await d.client();
    try {
      const s = await until(async () => {
        const t = await statusOf(c);
        return t.c!.state === 'waiting' && t.e!.state === 'waiting' ? t : undefined;
      }, 10_000, 'c and e waiting');
      expect(s.e!.waiting).toBe('waiting for c: waiting for its own dependencies (needs started)');
      expect(s.e!.instances![0]!.state).toBe('stopped');
      // d up: c is scheduled, then e starts.
      fs.writeFileSync(path.join(home, 'tasks/app.yaml'), fs.readFileSync(path.join(home, 'tasks/app.yaml'), 'utf8').replace('enabled: false', 'enabled: true'));
      await jobctl(['reload'], { home });
      await until(async () => ((await statusOf(c)).e!.running === 1 ? true : undefined), 10_000, 'e running');
    } finally {
      c.close();
    }
    await d.stop();
  });

  it('stop of a group goes in reverse dependency order', async () => {
    const home = makeHome({
      'tasks/app.yaml': `tasks:
  db: {command: exec sleep 1000, start_seconds: 100ms}
  api: {command: exec sleep 1000, start_seconds: 100ms, depends_on: {db: started}}
  web: {command: exec sleep 1000, start_seconds: 100ms, depends_on: {api: started}}
  cron-job: {command: "true", schedule: "0 0 1 1 *"}
`,
    });
    const d = await startTestDaemon(home);
    const c = await d.client();
    try {
      await waitFor(async () => Object.values(await statusOf(c)).filter((t) => t.kind === 'service').every((t) => t.running === 1), 10_000, 'all running');
      const r = await jobctl(['stop', '@app'], { home });
      expect(r.code).toBe(0);
      const s = await statusOf(c);
      for (const t of ['db', 'api', 'web']) expect(s[t]!.state).toBe('stopped');
    } finally {
      c.close();
    }
    const stops = logLines(d.output(), /stopping [a-z, -]+$/).map((l) => /stopping ([a-z, -]+)$/.exec(l)![1]);
    expect(stops).toEqual(['web', 'api', 'cron-job, db']);
  });
});

describe('rolling restart', () => {
  /** A home with one task `w` of 4 instances, each counted started after `startSeconds`. */
  const fourSleepers = (startSeconds: string) => makeHome({
    'tasks/w.yaml': `tasks:
  w:
    command: exec sleep 1000
    instances: 4
    start_seconds: ${startSeconds}
    stop_timeout: 2s
`,
  });

  it('replaces 4 instances one at a time: at every sample at least 3 run', async () => {
    const home = fourSleepers('300ms');
    const d = await startTestDaemon(home);
    const c = await d.client();
    try {
      const before = await until(async () => {
        const s = (await statusOf(c)).w!;
        return s.running === 4 ? s : undefined;
      }, 10_000, '4 running');
      const oldPids = before.instances!.map((i) => i.pid);

      // Sample the daemon's own view continuously while the CLI rolls.
      const sampler = sampleRunning(c, 'w');
      const r = await jobctl(['restart', '--rolling', 'w'], { home, timeoutMs: 60_000 });
      const samples = await sampler.stop();
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/w: replacing instance 0 \(0 of 4 done\)/);
      expect(r.stdout).toMatch(/w: done: 4 of 4 in \S+/);
      expect(r.stdout).toMatch(/^w: running \(4\/4 running\)$/m);

      expect(samples.length).toBeGreaterThan(10);
      expect(Math.min(...samples)).toBeGreaterThanOrEqual(3);
      expect(samples).toContain(3); // the roll did take instances down, one at a time

      const after = (await statusOf(c)).w!;
      expect(after.rolling).toMatchObject({ state: 'done', done: 4, total: 4 });
      const newPids = after.instances!.map((i) => i.pid);
      for (let i = 0; i < 4; i++) expect(newPids[i]).not.toBe(oldPids[i]);
      expect(logLines(d.output(), /rolling restart/).filter((l) => /replacing instance/.test(l)).map((l) => /instance (\d)/.exec(l)![1])).toEqual(['0', '1', '2', '3']);
    } finally {
      c.close();
    }
  });

  it('waits for health, and stops clearly when a new instance fails; the rest keep running', async () => {
    const home = makeHome({
      'tasks/w.yaml': `tasks:
  w:
    command: test -f broken && exit 3; exec sleep 1000
    instances: 3
    start_seconds: 1s
    backoff: {initial: 5s, max: 5s}
    health: {command: "true", interval: 200ms}
`,
    });
    const d = await startTestDaemon(home);
    const c = await d.client();
    try {
      await waitFor(async () => (await statusOf(c)).w!.instances!.every((i) => i.health?.state === 'healthy'), 10_000, 'all healthy');
      // A good roll first: each step waits for the new instance to be healthy.
      const good = await jobctl(['restart', '--rolling', 'w', '--json'], { home, timeoutMs: 60_000 });
      expect(good.code).toBe(0);
      const rolled = (JSON.parse(good.stdout) as { tasks: TaskStatus[] }).tasks[0]!;
      expect(rolled.rolling).toMatchObject({ state: 'done', done: 3, total: 3 });
      expect(rolled.instances!.every((i) => i.health?.state === 'healthy')).toBe(true);

      const pids = (await statusOf(c)).w!.instances!.map((i) => i.pid);
      fs.writeFileSync(path.join(home, 'tasks', 'broken'), '');
      const bad = await jobctl(['restart', '--rolling', 'w'], { home, timeoutMs: 60_000 });
      expect(bad.code).toBe(1);
      expect(bad.stdout).toMatch(/w: stopped at instance 0 after 0 of 3: instance 0: the new process failed \(exit code 3\)/);
      const s = (await statusOf(c)).w!;
      expect(s.instances![1]!.pid).toBe(pids[1]);
      expect(s.instances![2]!.pid).toBe(pids[2]);
      expect(s.instances![1]!.state).toBe('running');
      expect(logLines(d.output(), /rolling restart stopped/)).toHaveLength(1);

      // Another roll while one goes is refused with a clear message.
      fs.rmSync(path.join(home, 'tasks', 'broken'));
      const r1 = jobctl(['restart', '--rolling', 'w'], { home, timeoutMs: 60_000 });
      await waitFor(async () => (await statusOf(c)).w!.rolling?.state === 'running', 10_000, 'roll under way');
      const r2 = await jobctl(['restart', '--rolling', 'w'], { home });
      expect(r2.code).not.toBe(0);
      expect(r2.stderr).toMatch(/a rolling restart of "w" is under way/);
      expect((await r1).code).toBe(0);
    } finally {
      c.close();
    }
  });

  it('a scale-down during a roll ends the roll as done, without an error: the instances scaled away are not replaced', async () => {
    const home = fourSleepers('2s');
    const d = await startTestDaemon(home);
    const c = await d.client();
    try {
      await waitFor(async () => (await statusOf(c)).w!.running === 4, 10_000, '4 running');
      const roll = jobctl(['restart', '--rolling', 'w'], { home, timeoutMs: 60_000 });
      // Scale down while the roll replaces instance 1 (each step waits start_seconds, 2 s, for the new process:
      // the scale comes before instance 2's replacement counts: at least one 2 s step away).
      await waitFor(async () => (await statusOf(c)).w!.rolling?.instance === 1, 20_000, 'the roll at instance 1');
      const scaled = await jobctl(['scale', 'w', '2'], { home });
      expect(scaled.code).toBe(0);
      const r = await roll;
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
      const after = await until(async () => {
        const s = (await statusOf(c)).w!;
        return s.instances!.length === 2 && s.running === 2 ? s : undefined;
      }, 20_000, '2 running');
      expect(after.rolling).toMatchObject({ state: 'done', done: 2, total: 2 });
      expect(logLines(d.output(), /rolling restart stopped|ERROR|error/i)).toEqual([]);
      expect(logLines(d.output(), /rolling restart done/)).toEqual([expect.stringMatching(/rolling restart done: 2 of 2 instances replaced/)]);
    } finally {
      c.close();
    }
  });

  it('a stop during a roll ends the roll at once, saying the task was stopped (not at the step timeout)', async () => {
    const home = fourSleepers('2s');
    const d = await startTestDaemon(home);
    const c = await d.client();
    try {
      await waitFor(async () => (await statusOf(c)).w!.running === 4, 10_000, '4 running');
      // The step timeout is 120 s: the roll must end long before, when the stop lands mid-step.
      const roll = jobctl(['restart', '--rolling', 'w'], { home, timeoutMs: 30_000 });
      await waitFor(async () => (await statusOf(c)).w!.rolling?.instance === 1, 20_000, 'the roll at instance 1');
      expect((await jobctl(['stop', 'w'], { home })).code).toBe(0);
      const r = await roll;
      expect(r.code).toBe(1);
      expect(r.stdout + r.stderr).toContain('the task was stopped');
      expect((await statusOf(c)).w!.rolling).toMatchObject({ state: 'failed', message: 'the task was stopped' });
    } finally {
      c.close();
    }
  });

  it('a cron task is refused; update: rolling rolls a config change', async () => {
    const home = makeHome({
      'tasks/w.yaml': `tasks:
  w:
    command: exec sleep 1000
    instances: 3
    start_seconds: 300ms
    update: rolling
    env: {VERSION: "1"}
  job: {command: "true", schedule: "0 0 1 1 *"}
`,
    });
    const d = await startTestDaemon(home);
    const c = await d.client();
    try {
      const r = await jobctl(['restart', '--rolling', 'job'], { home });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/task "job" is a cron task; a rolling restart replaces the instances of a service task/);

      await waitFor(async () => (await statusOf(c)).w!.running === 3, 10_000, '3 running');
      const sampler = sampleRunning(c, 'w');
      const file = path.join(home, 'tasks', 'w.yaml');
      fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('VERSION: "1"', 'VERSION: "2"'));
      await c.call('reload', {});
      await waitFor(async () => (await statusOf(c)).w!.rolling?.state === 'done', 20_000, 'rolled');
      const samples = await sampler.stop();
      expect(Math.min(...samples)).toBeGreaterThanOrEqual(2);
      expect(logLines(d.output(), /rolling restart done: 3 of 3/)).toHaveLength(1);
    } finally {
      c.close();
    }
  });
});
