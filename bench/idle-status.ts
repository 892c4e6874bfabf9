/**
 * The first `status` after an idle spell, timed from outside against a real daemon (`npm run
 * build` first): N tasks of one `sleep` each; once all run, each round waits 6 s (figures older
 * than two intervals: the daemon reads every instance again for the answer), then asks `status`
 * while a `hello` goes every 2 ms on another connection (how long the loop keeps a request waiting).
 *
 *   npx tsx bench/idle-status.ts [--tasks 1000] [--rounds 3] [--jobctl dist/bin/jobctl.js] [--against REF_CLI]
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { JobctlClient } from '../src/api/client.js';

const { values } = parseArgs({ options: { tasks: { type: 'string' }, rounds: { type: 'string' }, jobctl: { type: 'string' }, against: { type: 'string' } } });
const n = Number(values.tasks ?? 1000);
const rounds = Number(values.rounds ?? 3);
const clis = [path.resolve(values.jobctl ?? path.join(import.meta.dirname, '../dist/bin/jobctl.js')), ...(values.against ? [path.resolve(values.against)] : [])];

async function measure(cli: string): Promise<object> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'jobctl-bench-idle-status-'));
  const socket = path.join(home, 'state/jobctl.sock');
  fs.mkdirSync(path.join(home, 'tasks'));
  fs.writeFileSync(path.join(home, 'tasks/a.yaml'), `tasks:\n${Array.from({ length: n }, (_, i) => `  t${i}:\n    command: ["sleep", "3600"]\n`).join('')}`);
  execFileSync(process.execPath, [cli, '--home', home, 'up'], { stdio: 'ignore' });
  const c = await JobctlClient.connect(socket);
  const p = await JobctlClient.connect(socket);
  try {
    while ((await c.call('status', {})).tasks.filter((t) => t.running === 1).length < n) await sleep(500);
    const out: Array<{ statusMs: number; helloMaxMs: number; withFigures: number }> = [];
    for (let r = 0; r < rounds; r++) {
      await sleep(6000);
      let helloMax = 0;
      let done = false;
      const probe = (async () => {
        while (!done) {
          const t = performance.now();
          await p.call('hello', {});
          helloMax = Math.max(helloMax, performance.now() - t);
          await sleep(2);
        }
      })();
      await sleep(50);
      const t0 = performance.now();
      const s = await c.call('status', {});
      const statusMs = performance.now() - t0;
      await sleep(100);
      done = true;
      await probe;
      out.push({ statusMs: Math.round(statusMs), helloMaxMs: Math.round(helloMax), withFigures: s.tasks.filter((t) => t.instances?.[0]?.rss !== undefined).length });
    }
    return { rounds: out };
  } finally {
    c.close();
    p.close();
    execFileSync(process.execPath, [cli, '--home', home, 'down'], { stdio: 'ignore' });
    fs.rmSync(home, { recursive: true, force: true });
  }
}

console.log(`${n} tasks, the first status after 6 s idle; load ${os.loadavg()[0]!.toFixed(1)}`);
for (const cli of clis) console.log(JSON.stringify({ cli, ...(await measure(cli)) }));
