/**
 * jobctl side by side with PM2 and supervisord, one interleaved run (`npm run bench`).
 *
 *   npm run bench -- [--rounds 3] [--loss-runs 100] [--cron-seconds 60] [--only jobctl]
 *                    [--workloads base,scale,state,screens,cron] [--against REF]
 *
 * `--against REF` builds REF (a commit, tag or branch) in a worktree under bench/.work and
 * runs the same workloads on it as the tool `jobctl@REF`, interleaved with this checkout, so
 * a change's before and after come from one run on one machine. The `cron` workload (not in
 * the default set) starts a real daemon with N every-second tasks (bench/cron-daemon.ts).
 *
 * Installs PM2 7.0.4 into bench/.work/pm2 and supervisord from Debian when missing, gives
 * each tool private state under bench/.work, and stops only what it started (by its own
 * command, then by pid). Prints medians, spreads and jobctl/anchor ratios, and writes
 * bench/.work/results.json.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { anonRssOf, median, pidsWithArg, rssOf, sleep, until } from './measure.js';
import { cronDaemon } from './cron-daemon.js';
import { buildRef } from './ref-build.js';
import { cronState, screens, thousand } from './scale.js';
import { FLOOD, Jobctl, Pm2, ROOT, Supervisord, WORK, type Tool } from './tools.js';

const args = process.argv.slice(2);
const opt = (name: string, def: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const ROUNDS = opt('rounds', 3);
const LOSS_RUNS = opt('loss-runs', 100);
const CRON_SECONDS = opt('cron-seconds', 60);
const STATE_SECONDS = opt('state-seconds', 30);
const ONLY = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
/** Which workloads: base (100 processes, floods, edits, cron lateness), scale (1,000 processes), state (cron history load), screens (TUI/top). */
const WORKLOADS = new Set((args.includes('--workloads') ? args[args.indexOf('--workloads') + 1]! : 'base,scale,state,screens').split(','));
const LINES = Number(process.env.BENCH_FLOOD_LINES ?? 200_000);
const AGAINST = args.includes('--against') ? args[args.indexOf('--against') + 1] : undefined;
/** Task counts of the cron workload (every second each). */
const CRON_TASKS = (args.includes('--cron-tasks') ? args[args.indexOf('--cron-tasks') + 1]! : '50,100,300').split(',').map(Number);

// ---- workloads ----
type Results = Record<string, Record<string, number[]>>;
const results: Results = {};
const rec = (tool: string, measure: string, v: number) => {
  ((results[tool] ??= {})[measure] ??= []).push(v);
};

async function up100(t: Tool): Promise<void> {
  const t0 = performance.now();
  await t.start100();
  const dt = await until(() => pidsWithArg(t.marker).length >= 100, 30_000, 5);
  rec(t.name, 'up100_ms', Number.isNaN(dt) ? NaN : performance.now() - t0);
}

async function statusTime(t: Tool): Promise<void> {
  const [bin, argv, env] = t.statusArgv();
  const times: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t0 = performance.now();
    await execa(bin, argv, { env: { ...process.env, ...env }, reject: false }); // supervisorctl exits 3 when a program is stopped
    times.push(performance.now() - t0);
  }
  rec(t.name, 'status_ms', median(times));
}

async function killRestart(t: Tool): Promise<void> {
  for (let i = 0; i < 3; i++) {
    const before = new Set(pidsWithArg(t.marker));
    const victim = [...before][0]!;
    process.kill(victim, 'SIGKILL');
    const t0 = performance.now();
    const dt = await until(() => pidsWithArg(t.marker).some((p) => !before.has(p)), 10_000, 1);
    rec(t.name, 'restart_ms', Number.isNaN(dt) ? NaN : performance.now() - t0);
    await until(() => pidsWithArg(t.marker).length >= 100, 10_000, 5);
    await sleep(300);
  }
}

function countLines(file: string): number {
  const buf = fs.readFileSync(file);
  let n = 0;
  let i = 0;
  // Lines of the flood: "line 0000…" (after an optional prefix).
  while ((i = buf.indexOf('line 0', i)) !== -1) {
    n++;
    i += 6;
  }
  return n;
}

/**
 * Start a flood; the log's throughput from its first byte to its last (so the tools'
 * control commands and the producer's start-up do not count), and the lines lost.
 */
async function flood(t: Tool, timestamps: boolean): Promise<{ ms: number; lost: number }> {
  const file = t.floodLog(timestamps);
  if (fs.existsSync(file)) fs.truncateSync(file, 0);
  const target = LINES * (100 + (timestamps ? t.prefixBytes : 0));
  // Poll while the start command runs: some tools' start waits until the program ended.
  const starting = t.startFlood(timestamps);
  let first: number | undefined;
  let last = -1;
  let stillSince = performance.now();
  let done = NaN;
  for (;;) {
    const size = fs.existsSync(file) ? fs.statSync(file).size : 0;
    const now = performance.now();
    if (size > 0 && first === undefined) first = now;
    if (size >= target) {
      done = now;
      break;
    }
    if (size !== last) {
      last = size;
      stillSince = now;
    } else if (now - stillSince > 3000) {
      done = stillSince; // it stopped short: lines were lost
      break;
    }
    await sleep(1);
  }
  await starting;
  await sleep(200);
  return { ms: first === undefined ? NaN : Math.max(1, done - first), lost: LINES - countLines(file) };
}

async function floods(t: Tool): Promise<void> {
  const modes = t.name === 'supervisord' ? [false] : [false, true];
  for (const ts of modes) {
    const r = await flood(t, ts);
    rec(t.name, `flood_${ts ? 'ts' : 'raw'}_MBps`, (LINES * 100) / 1e6 / (r.ms / 1000));
    rec(t.name, `flood_${ts ? 'ts' : 'raw'}_lost`, r.lost);
  }
}

async function configEdit(t: Tool, round: number): Promise<void> {
  const marker = String(300_000 + round * 10 + Math.max(0, ['jobctl', 'pm2', 'supervisord', `jobctl@${AGAINST}`].indexOf(t.name)));
  const t0 = performance.now();
  await t.edit(marker);
  const dt = await until(() => pidsWithArg(marker).length > 0, 10_000, 2);
  rec(t.name, 'edit_applied_ms', Number.isNaN(dt) ? NaN : performance.now() - t0);
}

// ---- setup ----
async function ensureTools(): Promise<Tool[]> {
  const tools: Tool[] = [new Jobctl()];
  if (AGAINST) tools.push(new Jobctl(`jobctl@${AGAINST}`, await buildRef(AGAINST), 100004));
  const pm2bin = path.join(WORK, 'pm2/node_modules/.bin/pm2');
  if (!fs.existsSync(pm2bin)) {
    console.log('installing pm2@7.0.4 into bench/.work/pm2 …');
    await execa('npm', ['install', '--prefix', path.join(WORK, 'pm2'), '--no-audit', '--no-fund', '--no-save', 'pm2@7.0.4'], { stdio: 'inherit' });
  }
  tools.push(new Pm2());
  const has = await execa('supervisord', ['--version'], { reject: false });
  if (has.exitCode !== 0) {
    if (process.getuid?.() === 0) {
      console.log('installing supervisor from Debian …');
      await execa('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'supervisor'], { env: { DEBIAN_FRONTEND: 'noninteractive' }, stdio: 'inherit' });
      // Debian starts its own supervisord service: we use a private one only.
      await execa('service', ['supervisor', 'stop'], { reject: false });
    } else console.log('supervisord missing and not root: skipping it (apt-get install supervisor)');
  }
  if ((await execa('supervisord', ['--version'], { reject: false })).exitCode === 0) tools.push(new Supervisord());
  return ONLY ? tools.filter((t) => t.name === ONLY || t.name.startsWith(`${ONLY}@`)) : tools;
}

async function statusWith100Tasks(): Promise<number> {
  const home = path.join(WORK, 'jobctl-100tasks');
  fs.rmSync(home, { recursive: true, force: true });
  fs.mkdirSync(path.join(home, 'tasks'), { recursive: true });
  fs.writeFileSync(path.join(home, 'tasks/many.yaml'), `tasks:\n${Array.from({ length: 100 }, (_, i) => `  t${i}:\n    command: ["sleep", "100009"]\n`).join('')}`);
  const env = { ...process.env, JOBCTL_HOME: home };
  const bin = path.join(ROOT, 'dist/bin/jobctl.js');
  await execa(process.execPath, [bin, 'up'], { env });
  await until(() => pidsWithArg('100009').length >= 100, 20_000, 10);
  const times: number[] = [];
  for (let i = 0; i < 15; i++) {
    const t0 = performance.now();
    await execa(process.execPath, [bin, 'status'], { env });
    times.push(performance.now() - t0);
  }
  await execa(process.execPath, [bin, 'down', '--now'], { env });
  return median(times);
}

async function lossRuns(t: Jobctl): Promise<{ runs: number; lost: number; worst: number }> {
  let lost = 0;
  let worst = 0;
  for (let i = 0; i < LOSS_RUNS; i++) {
    const r = await flood(t, true);
    lost += r.lost;
    worst = Math.max(worst, r.lost);
    await until(() => false, 50);
  }
  return { runs: LOSS_RUNS, lost, worst };
}

async function main(): Promise<void> {
  fs.mkdirSync(WORK, { recursive: true });
  if (!fs.existsSync(path.join(ROOT, 'dist/bin/jobctl.js'))) throw new Error('build first: npm run build');
  if (!fs.existsSync(FLOOD)) throw new Error(`missing ${FLOOD}`);
  const tools = WORKLOADS.has('base') || WORKLOADS.has('scale') ? await ensureTools() : [];
  console.log(`tools: ${tools.map((t) => t.name).join(', ')}; ${ROUNDS} rounds; ${LINES} flood lines; Node ${process.version} (${process.execPath})`);
  const started: Tool[] = [];
  try {
    for (const t of tools) {
      await t.setup();
      started.push(t);
    }
    for (let round = 0; round < (WORKLOADS.has('base') ? ROUNDS : 0); round++) {
      for (const t of tools) {
        process.stdout.write(`round ${round + 1} ${t.name}: up100`);
        await up100(t);
        await sleep(3000);
        rec(t.name, 'rss_idle_100_MB', rssOf(t.daemonPid()) / 1e6);
        rec(t.name, 'anon_idle_100_MB', anonRssOf(t.daemonPid()) / 1e6);
        process.stdout.write(', status');
        await statusTime(t);
        process.stdout.write(', kill -9');
        await killRestart(t);
        await t.stop100();
        await until(() => pidsWithArg(t.marker).length === 0, 20_000, 10);
        process.stdout.write(', flood');
        await floods(t);
        process.stdout.write(', edit\n');
        await configEdit(t, round);
      }
    }
    if (WORKLOADS.has('scale')) {
      // 1,000 processes, one tool after the other (three thousand sleeps at once would
      // measure the machine, not the tools).
      for (const t of tools) {
        console.log(`${t.name}: 1,000 processes …`);
        await thousand(t, rec);
        console.log(JSON.stringify(results[t.name]));
      }
    }
    const jobctl = tools.find((t) => t.name === 'jobctl') as Jobctl | undefined;
    if (jobctl && LOSS_RUNS > 0 && WORKLOADS.has('base')) {
      console.log(`jobctl: ${LOSS_RUNS} flood runs with timestamps on, counting lost lines …`);
      (results.jobctl ??= {}).loss = [(await lossRuns(jobctl)).lost];
    }
  } finally {
    for (const t of started) await t.teardown();
    // Anything of ours still alive goes, by pid.
    for (const m of ['100001', '100002', '100003', '100009', '100011', '100012', '100013']) for (const p of pidsWithArg(m)) process.kill(p, 'SIGKILL');
  }
  if (WORKLOADS.has('cron')) {
    // Every-second cron tasks through the whole daemon: this checkout and REF, taking turns.
    const builds: Array<[string, string]> = [['jobctl', path.join(ROOT, 'dist/bin/jobctl.js')]];
    if (AGAINST) builds.push([`jobctl@${AGAINST}`, await buildRef(AGAINST)]);
    for (const n of CRON_TASKS) {
      for (const [name, cli] of builds) {
        console.log(`${name}: ${n} every-second cron tasks for ${CRON_SECONDS} s …`);
        const r = await cronDaemon({ tasks: n, seconds: CRON_SECONDS, warmup: 4, history: 40, schedule: '* * * * * *', cli, cgroups: true });
        console.log(JSON.stringify(r));
        Object.assign((results[name] ??= {}), { [`cron_daemon_${n}`]: r });
      }
    }
  }
  if ((!ONLY || ONLY === 'jobctl') && WORKLOADS.has('state')) {
    for (const h of [5, 500]) {
      console.log(`jobctl: 300 cron tasks every second, history ${h} (full) …`);
      const r = await cronState(h, { seconds: STATE_SECONDS });
      console.log(JSON.stringify(r));
      Object.assign((results.jobctl ??= {}), { [`cron_state_h${h}`]: r });
    }
  }
  if ((!ONLY || ONLY === 'jobctl') && WORKLOADS.has('screens')) {
    console.log('jobctl: tui and top with 1,000 tasks …');
    const sc = await screens();
    console.log(JSON.stringify(sc));
    Object.assign((results.jobctl ??= {}), { screens: sc });
  }
  if ((!ONLY || ONLY === 'jobctl') && WORKLOADS.has('base')) {
    rec('jobctl', 'status_100_tasks_ms', await statusWith100Tasks());
    console.log(`cron lateness: ${CRON_SECONDS}s of 1,000 second-level tasks …`);
    const cron = await execa('npx', ['tsx', path.join(ROOT, 'bench/cron-lateness.ts'), '--tasks', '1000', '--seconds', String(CRON_SECONDS)], { cwd: ROOT });
    const c = JSON.parse(String(cron.stdout).slice(String(cron.stdout).indexOf('{')));
    (results.jobctl ??= {}).cron = [c.schedulerLatenessMs.p99];
    Object.assign(results.jobctl, { cron_detail: c });
  }
  // Which Node ran it (jobctl's daemon and CLI run on the same binary): figures differ between Node lines.
  const out = { date: new Date().toISOString(), node: process.version, machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}, node ${process.version}`, lines: LINES, rounds: ROUNDS, against: AGAINST ?? null, results };
  console.log(`node ${process.version}; load average at the end ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  fs.writeFileSync(path.join(WORK, 'results.json'), JSON.stringify(out, null, 2));
  printTable(out.results);
}

function printTable(r: Results): void {
  const measures = ['rss_idle_100_MB', 'anon_idle_100_MB', 'up100_ms', 'status_ms', 'restart_ms', 'flood_raw_MBps', 'flood_raw_lost', 'flood_ts_MBps', 'flood_ts_lost', 'edit_applied_ms',
    'rss_0_MB', 'anon_0_MB', 'up1000_ms', 'rss_1000_MB', 'anon_1000_MB', 'status_1000_ms', 'idle_cpu_1000_looked_ms', 'idle_cpu_1000_ms'];
  const fmt = (xs?: number[]) => (xs && xs.length ? `${median(xs).toFixed(1)} (${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)})` : '-');
  const ref = AGAINST ? `jobctl@${AGAINST}` : undefined;
  console.log(`\n| measure | jobctl |${ref ? ` ${ref} |` : ''} pm2 | supervisord | jobctl/pm2 | jobctl/supervisord |\n|---|---|${ref ? '---|' : ''}---|---|---|---|`);
  for (const m of measures) {
    const j = r.jobctl?.[m];
    const ratio = (other?: number[]) => (j && other && other.length ? (median(j) / median(other)).toFixed(2) : '-');
    console.log(`| ${m} | ${fmt(j)} |${ref ? ` ${fmt(r[ref]?.[m])} |` : ''} ${fmt(r.pm2?.[m])} | ${fmt(r.supervisord?.[m])} | ${ratio(r.pm2?.[m])} | ${ratio(r.supervisord?.[m])} |`);
  }
  for (const [name, byMeasure] of Object.entries(r)) {
    for (const [k, v] of Object.entries(byMeasure as Record<string, unknown>)) if (k.startsWith('cron_daemon_')) console.log(`${name} ${k}: ${JSON.stringify(v)}`);
  }
  if (r.jobctl?.status_100_tasks_ms) console.log(`\njobctl status with 100 tasks: ${median(r.jobctl.status_100_tasks_ms).toFixed(1)} ms`);
  if (r.jobctl?.loss) console.log(`jobctl lines lost over ${LOSS_RUNS} runs of ${LINES} lines (timestamps on): ${r.jobctl.loss[0]}`);
  for (const k of ['cron_detail', 'cron_state_h5', 'cron_state_h500', 'screens']) {
    const v = (r.jobctl as Record<string, unknown> | undefined)?.[k];
    if (v) console.log(`${k}: ${JSON.stringify(v)}`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
