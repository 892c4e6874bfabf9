/**
 * What one sampling tick costs (issue 30: MEM is the RSS of an instance's processes summed,
 * as `ps` shows it): N instances of one `sleep` each, in cgroup boxes and in bare process
 * groups, each registered with a MetricsSampler; `sampleNow()` timed in CPU time (what runs
 * every 2 s while a TUI is attached; CPU, not wall time, which a loaded host inflates), median of 9, with the figure checked against `ps -o rss`.
 *
 *   sudo npx tsx bench/mem-sample.ts [N] [module root, default ../src; e.g. /other/clone/dist]
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const N = Number(process.argv[2] ?? 200);
const root = path.resolve(process.argv[3] ?? path.join(import.meta.dirname, '../src'));
const ext = fs.existsSync(path.join(root, 'runtime/metrics.ts')) ? 'ts' : 'js';
const { Containment } = await import(path.join(root, `runtime/process/contain.${ext}`));
const { spawnProcess } = await import(path.join(root, `runtime/process/start.${ext}`));
const { MetricsSampler } = await import(path.join(root, `runtime/metrics.${ext}`));

const psRss = (pids: number[]) => execFileSync('ps', ['-o', 'rss=', '-p', pids.join(',')], { encoding: 'utf8' })
  .split('\n').filter((l) => l.trim()).reduce((n, l) => n + Number(l) * 1024, 0);
const membersOf = (pgid: number) => execFileSync('pgrep', ['-g', String(pgid)], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);

async function run(label: string, cgroups: boolean): Promise<void> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'mem-sample-'));
  const c = cgroups ? Containment.open(home) : undefined;
  if (cgroups && c.mode !== 'cgroup') {
    console.log(`${label}: no cgroups here (${c.mode})`);
    c.close();
    return;
  }
  const sampler = new MetricsSampler(2000, 60_000);
  const pgids: number[] = [];
  let last = new Map<number, number>();
  try {
    for (let i = 0; i < N; i++) {
      const box = c?.open({ task: 'b', instance: i });
      const p = await spawnProcess({ command: ['sleep', '600'], cwd: '/', env: { PATH: process.env.PATH }, ...(box ? { joinCgroups: box.joinFiles } : {}) });
      p.stdout.resume();
      p.stderr.resume();
      box?.attach(p.pgid);
      pgids.push(p.pgid);
      sampler.register(() => p.pgid, (m: { rss: number }) => last.set(p.pgid, m.rss));
    }
    // Every sleep has exec'd (its statm is sleep's, not the join shell's).
    for (const deadline = Date.now() + 60_000; Date.now() < deadline;) {
      const ok = pgids.every((g) => { try { return fs.readFileSync(`/proc/${g}/cmdline`, 'utf8').startsWith('sleep'); } catch { return false; } });
      if (ok) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const times: number[] = [];
    for (let r = 0; r < 9; r++) {
      last = new Map();
      const t = process.cpuUsage();
      sampler.sampleNow(Date.now() + r * 2000);
      const d = process.cpuUsage(t);
      times.push((d.user + d.system) / 1000);
    }
    const ms = times.sort((a, b) => a - b)[4]!;
    const ours = [...last.values()].reduce((a, b) => a + b, 0);
    const ps = psRss(pgids.flatMap(membersOf));
    console.log(`${label.padEnd(10)} N=${N}: ${ms.toFixed(1)} ms CPU/tick, ${((ms * 1000) / N).toFixed(0)} µs/instance; MEM ${(ours / 2 ** 20).toFixed(1)} MiB vs ps ${(ps / 2 ** 20).toFixed(1)} MiB`);
  } finally {
    for (const g of pgids) try { process.kill(-g, 'SIGKILL'); } catch { /* gone */ }
    if (c) {
      await c.sweep(5000);
      c.close();
    }
    fs.rmSync(home, { recursive: true, force: true });
  }
}

console.log(`${os.loadavg()[0]!.toFixed(1)} load, ${fs.readdirSync('/proc').filter((n) => /^\d/.test(n)).length} processes on the host; ${root}`);
await run('cgroup', true);
await run('pgroup', false);
