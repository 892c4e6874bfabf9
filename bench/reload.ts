/**
 * Applying task-file changes, timed from outside against a real daemon (`npm run build` first).
 *
 *   npx tsx bench/reload.ts save [--tasks 1000] [--delete] [--jobctl dist/bin/jobctl.js]
 *   npx tsx bench/reload.ts checkout [--files 20]
 *
 * save: N service tasks (one `sleep` each) in one file; the daemon is started (time until its
 * socket answers: `upMs`), then one save changes every command (or, with --delete, removes
 * the file). `appliedMs`: from the save until every new process runs and no old one is left
 * (for --delete: no task and no process left). `status` is asked meanwhile, back to back,
 * as the CLI does (fresh connection each time), from a worker thread (the /proc scans of the
 * main thread would delay it); the latencies of the calls that ended after the save are
 * reported, and the longest before it apart (`maxBefore`: the first status after the daemon
 * came up waits for every instance's figures to be read).
 *
 * checkout: the task directory is a git repository; `git checkout` of a branch that changes
 * the command of the one task in each of F files. `appliedMs`: from the checkout until all F
 * new processes run and no old one is left; `reloads`: how many reloads the daemon logged for
 * it. Then one edit of one file: `oneEditMs`, until its new process runs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { cpuMsOf, pidsWithArg, sleep, until } from './measure.js';
import { argNumber, DaemonProcess, round, StatusSampler } from './daemon-process.js';

const marker = () => String(7_000_000 + Math.floor(Math.random() * 1_000_000));

function taskYaml(names: string[], mark: string): string {
  return `tasks:\n${names.map((n) => `  ${n}:\n    command: ["sleep", "${mark}"]\n    start_seconds: 0\n    stop_timeout: 5s\n`).join('')}`;
}

/** Count the daemon's reload lines after `offset` bytes of its log. */
function reloadsAfter(d: DaemonProcess, offset: number): number {
  return (d.log().slice(offset).match(/reload: \d+ added/g) ?? []).length;
}

async function save(): Promise<void> {
  const n = argNumber('tasks', 1000);
  const del = process.argv.includes('--delete');
  const d = new DaemonProcess('jobctl-bench-reload-');
  const a = marker();
  const b = marker();
  const names = Array.from({ length: n }, (_, i) => `t${i}`);
  const file = path.join(d.paths.tasks, 'bench.yaml');
  fs.writeFileSync(file, taskYaml(names, a));
  try {
    d.start();
    const upMs = await d.waitForSocket();
    const allUpMs = await until(() => pidsWithArg(a).length >= n, 600_000, 50);
    if (Number.isNaN(allUpMs)) throw new Error(`not all ${n} processes started`);
    await sleep(1000);
    const sampler = new StatusSampler(d);
    // The first status reads every instance's figures (after start-up: ~150-300 ms): it ends before the save.
    await sleep(1500);
    const logAt = d.log().length;
    const cpu0 = cpuMsOf(d.pid);
    const t0 = performance.now();
    const savedAt = Date.now();
    if (del) fs.rmSync(file);
    else {
      // An editor's save: a temp file renamed over the old one.
      fs.writeFileSync(`${file}.tmp~`, taskYaml(names, b));
      fs.renameSync(`${file}.tmp~`, file);
    }
    // A /proc scan of 2,000 processes takes ~100 ms of a core: every 250 ms, so the benchmark
    // does not load the 2-core machine it measures on (the applied time is ± 250 ms).
    const applied = del
      ? await until(() => pidsWithArg(a).length === 0, 900_000, 250)
      : await until(() => pidsWithArg(b).length === n && pidsWithArg(a).length === 0, 900_000, 250);
    const appliedMs = performance.now() - t0;
    const cpuMs = cpuMsOf(d.pid) - cpu0;
    await sleep(300);
    const status = await sampler.stop(savedAt);
    await sampler.done();
    const left = (await d.status()).result.tasks.length;
    console.log(JSON.stringify({
      scenario: del ? 'delete' : 'save', tasks: n, saveAtMs: round(t0 - d.spawnedAt), upMs: round(upMs), appliedMs: Number.isNaN(applied) ? NaN : round(appliedMs), daemonCpuMs: cpuMs,
      statusMs: status, tasksAfter: left, reloads: reloadsAfter(d, logAt),
    }));
  } finally {
    await d.stop();
  }
}

async function checkout(): Promise<void> {
  const files = argNumber('files', 20);
  const d = new DaemonProcess('jobctl-bench-checkout-');
  const a = marker();
  const b = marker();
  const c = marker();
  const git = (...args: string[]) => execa('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@localhost', ...args], { cwd: d.paths.tasks });
  const write = (mark: string) => {
    for (let i = 0; i < files; i++) fs.writeFileSync(path.join(d.paths.tasks, `f${i}.yaml`), taskYaml([`t${i}`], mark));
  };
  try {
    await git('init', '-q', '-b', 'a');
    write(a);
    await git('add', '.');
    await git('commit', '-qm', 'a');
    await git('checkout', '-qb', 'b');
    write(b);
    await git('commit', '-qam', 'b');
    await git('checkout', '-q', 'a');
    d.start();
    await d.waitForSocket();
    if (Number.isNaN(await until(() => pidsWithArg(a).length >= files, 60_000, 20))) throw new Error('not all processes started');
    await sleep(1000);
    const logAt = d.log().length;
    const t0 = performance.now();
    await git('checkout', '-q', 'b');
    const ok = await until(() => pidsWithArg(b).length === files && pidsWithArg(a).length === 0, 60_000, 2);
    const appliedMs = performance.now() - t0;
    // Late reloads (events that came after the change was applied) count too.
    await sleep(1500);
    const reloads = reloadsAfter(d, logAt);
    const t1 = performance.now();
    fs.writeFileSync(path.join(d.paths.tasks, 'f0.yaml'), taskYaml(['t0'], c));
    const one = await until(() => pidsWithArg(c).length === 1, 60_000, 2);
    const oneEditMs = performance.now() - t1;
    console.log(JSON.stringify({
      scenario: 'checkout', files, appliedMs: Number.isNaN(ok) ? NaN : round(appliedMs), reloads, oneEditMs: Number.isNaN(one) ? NaN : round(oneEditMs),
    }));
  } finally {
    await d.stop();
  }
}

const which = process.argv[2];
if (which === 'save') await save();
else if (which === 'checkout') await checkout();
else {
  console.error('usage: npx tsx bench/reload.ts save|checkout [options]');
  process.exitCode = 2;
}
