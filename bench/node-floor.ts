/**
 * What part of the daemon's memory is Node's own (issues 21, 28: daemon RSS rows): the resident
 * memory (VmRSS, and its anonymous and file-backed parts) of
 *   - a bare `node` waiting on a timer;
 *   - the smallest daemon one could write in Node: a Unix socket server that has started one child;
 *   - jobctl's daemon on an empty home, as `jobctl up` runs it (its node flags), and the same with `--no-opt`
 *     (no TurboFan: its code pages in the node binary are never touched);
 * each read 3 s after it is up, one at a time, median of `--rounds`.
 *
 *   npx tsx bench/node-floor.ts [--node PATH] [--cli dist/bin/jobctl.js] [--rounds 3]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { node: { type: 'string' }, cli: { type: 'string' }, rounds: { type: 'string' } } });
const node = values.node ?? process.execPath;
const cli = path.resolve(values.cli ?? path.join(import.meta.dirname, '../dist/bin/jobctl.js'));
const rounds = Number(values.rounds ?? 3);

interface Rss { vm: number; anon: number; file: number }

function rssOf(pid: number): Rss {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`${key}:\\s*(\\d+)`).exec(status)?.[1] ?? NaN) / 1024;
  return { vm: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile') };
}

async function gone(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise((r) => child.once('exit', r));
}

/** A process started by `start`, measured once `pidOf` names it and 3 s have passed. */
async function measure(start: (dir: string) => { child: ChildProcess; pidOf: () => number | undefined }): Promise<Rss> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'node-floor-'));
  const { child, pidOf } = start(dir);
  try {
    let pid: number | undefined;
    for (let i = 0; i < 200 && pid === undefined; i++) {
      pid = pidOf();
      if (pid === undefined) await sleep(50);
    }
    if (pid === undefined) throw new Error('never came up');
    await sleep(3000);
    return rssOf(pid);
  } finally {
    child.kill('SIGTERM');
    await gone(child);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const SOCKET_DAEMON = `
  const net = require('node:net');
  const { spawn } = require('node:child_process');
  net.createServer((c) => c.end('{}')).listen(process.argv[1]);
  spawn('true', { stdio: ['ignore', 'pipe', 'pipe'] });
  process.on('SIGTERM', () => process.exit(0));`;

// The flags `jobctl up` and the unit files give the daemon (src/cli/install/units.ts).
const { DAEMON_NODE_FLAGS } = await import(path.join(path.dirname(cli), '../cli/install/units.js'));

const jobctl = (flags: string[]) => (dir: string) => {
  fs.mkdirSync(path.join(dir, 'tasks'));
  const child = spawn(node, [...DAEMON_NODE_FLAGS, ...flags, cli, 'daemon'], { env: { ...process.env, JOBCTL_HOME: dir }, stdio: 'ignore' });
  return { child, pidOf: () => (fs.existsSync(path.join(dir, 'state/jobctl.sock')) ? child.pid : undefined) };
};

const cases: Array<[string, (dir: string) => { child: ChildProcess; pidOf: () => number | undefined }]> = [
  ['bare node (a timer)', () => {
    const child = spawn(node, ['-e', 'setInterval(() => {}, 1e6)'], { stdio: 'ignore' });
    return { child, pidOf: () => child.pid };
  }],
  ['node: a Unix socket server + one child', (dir) => {
    const sock = path.join(dir, 's.sock');
    const child = spawn(node, ['-e', SOCKET_DAEMON, sock], { stdio: 'ignore' });
    return { child, pidOf: () => (fs.existsSync(sock) ? child.pid : undefined) };
  }],
  ['jobctl daemon, empty home', jobctl([])],
  ['jobctl daemon, empty home, --no-opt', jobctl(['--no-opt'])],
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const runner = spawn(node, ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] });
let version = '';
runner.stdout!.on('data', (d: Buffer) => (version += d.toString()));
await gone(runner);
console.log(`node ${version.trim()} (${node}), median of ${rounds}, MB, load ${os.loadavg()[0]!.toFixed(1)}`);
console.log('| process | VmRSS | RssAnon | RssFile |\n|---|---|---|---|');
for (const [label, start] of cases) {
  const got: Rss[] = [];
  for (let i = 0; i < rounds; i++) got.push(await measure(start));
  const f = (k: keyof Rss) => median(got.map((g) => g[k])).toFixed(1);
  console.log(`| ${label} | ${f('vm')} | ${f('anon')} | ${f('file')} |`);
}
