/**
 * Removing a task of many instances, timed from outside against a real daemon (`npm run build`
 * first): one task of N `sleep` instances; once all run, its file is deleted (`--how stop`: the
 * task is stopped by a `stop` call instead; `--how restart`: restarted). Meanwhile a `hello`
 * every 5 ms on one connection (how long the loop keeps a request waiting) and a `status` every
 * 50 ms on a fresh connection each (as the CLI asks). `appliedMs`: from the delete until the
 * daemon has no task left (stop: until none runs; restart: until the call returned and all run
 * again with new pids).
 *
 *   npx tsx bench/remove-instances.ts [--instances 1000] [--rounds 2] [--how remove|stop|restart] [--jobctl dist/bin/jobctl.js] [--against REF_CLI]
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { JobctlClient } from '../src/api/client.js';

const { values } = parseArgs({ options: { instances: { type: 'string' }, rounds: { type: 'string' }, jobctl: { type: 'string' }, against: { type: 'string' }, how: { type: 'string' } } });
const how = values.how ?? 'remove';
const n = Number(values.instances ?? 1000);
const rounds = Number(values.rounds ?? 2);
const clis = [path.resolve(values.jobctl ?? path.join(import.meta.dirname, '../dist/bin/jobctl.js')), ...(values.against ? [path.resolve(values.against)] : [])];

const p50 = (xs: number[]) => Math.round([...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!);
const max = (xs: number[]) => Math.round(Math.max(...xs));

async function once(cli: string): Promise<object> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'jobctl-bench-remove-'));
  const socket = path.join(home, 'state/jobctl.sock');
  fs.mkdirSync(path.join(home, 'tasks'));
  fs.writeFileSync(path.join(home, 'tasks/a.yaml'), `tasks:\n  w:\n    command: ["sleep", "3600"]\n    instances: ${n}\n`);
  execFileSync(process.execPath, [cli, '--home', home, 'up'], { stdio: 'ignore' });
  try {
    const c = await JobctlClient.connect(socket);
    while ((await c.call('status', {})).tasks[0]?.running !== n) await sleep(300);
    await sleep(2000);
    const hello: number[] = [];
    const status: number[] = [];
    let done = false;
    const probe = (async () => {
      while (!done) {
        const t = performance.now();
        await c.call('hello', {});
        hello.push(performance.now() - t);
        await sleep(5);
      }
    })();
    const before = new Set((await c.call('status', {})).tasks[0]!.instances!.map((i) => i.pid));
    const t0 = performance.now();
    let called: Promise<unknown> = Promise.resolve();
    if (how === 'remove') fs.rmSync(path.join(home, 'tasks/a.yaml'));
    else {
      const q = await JobctlClient.connect(socket);
      called = q.call(how === 'stop' ? 'stop' : 'restart', { target: 'w' }, 600_000).finally(() => q.close());
    }
    const finished = (s: { tasks: Array<{ running?: number; instances?: Array<{ pid?: number }> }> }): boolean => {
      if (how === 'remove') return s.tasks.length === 0;
      if (how === 'stop') return s.tasks[0]?.running === 0;
      return s.tasks[0]?.running === n && s.tasks[0].instances!.every((i) => i.pid !== undefined && !before.has(i.pid));
    };
    for (;;) {
      const t = performance.now();
      const q = await JobctlClient.connect(socket);
      const s = await q.call('status', {});
      q.close();
      status.push(performance.now() - t);
      if (finished(s)) break;
      await sleep(50);
    }
    await called;
    const appliedMs = Math.round(performance.now() - t0);
    done = true;
    await probe;
    c.close();
    return { appliedMs, status: { samples: status.length, p50: p50(status), max: max(status) }, hello: { p50: p50(hello), max: max(hello) } };
  } finally {
    execFileSync(process.execPath, [cli, '--home', home, 'down'], { stdio: 'ignore' });
    fs.rmSync(home, { recursive: true, force: true });
  }
}

console.log(`${n} instances, one task: ${how}; load ${os.loadavg()[0]!.toFixed(1)}`);
for (let r = 0; r < rounds; r++) {
  for (const cli of clis) console.log(JSON.stringify({ cli, ...(await once(cli)) }));
}
