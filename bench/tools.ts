/**
 * One adapter per supervisor, so every workload runs the same way against each.
 * Each tool gets private state in a temp dir; it is stopped by its own command or pid.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';

export const ROOT = path.resolve(import.meta.dirname, '..');
export const WORK = path.join(ROOT, 'bench/.work');
export const FLOOD = path.join(ROOT, 'test/fixtures/flood.cjs');
const JOBCTL = path.join(ROOT, 'dist/bin/jobctl.js');

export interface Tool {
  name: string;
  setup(): Promise<void>;
  /** Issue the command that starts 100 `sleep <marker>` processes. */
  start100(): Promise<void>;
  stop100(): Promise<void>;
  marker: string;
  /** The same with 1,000 `sleep <marker1k>` processes (jobctl: one task of 1,000 instances). */
  start1000(): Promise<void>;
  stop1000(): Promise<void>;
  marker1k: string;
  daemonPid(): number;
  statusArgv(): [string, string[], Record<string, string>];
  /** Start the flood program (N lines) writing to logFile(); timestamps on or off. */
  startFlood(timestamps: boolean): Promise<void>;
  floodLog(timestamps: boolean): string;
  /** Bytes of line prefix the tool adds with timestamps on. */
  prefixBytes: number;
  /** Change the `edit` program's marker; for jobctl the save is all, others run their command. */
  edit(marker: string): Promise<void>;
  teardown(): Promise<void>;
}

const LINES = Number(process.env.BENCH_FLOOD_LINES ?? 200_000);

function sleepers(marker: string) {
  return marker;
}

/**
 * jobctl from this checkout, or (`--against REF`) from another build: `cli` is its
 * dist/bin/jobctl.js, and it gets its own name, homes and markers.
 */
export class Jobctl implements Tool {
  marker: string;
  marker1k: string;
  prefixBytes = '2026-01-01T00:00:00.000Z [out] '.length;
  home: string;
  env = (): Record<string, string> => ({ JOBCTL_HOME: this.home, NO_COLOR: '1' });
  /** Floods run in a daemon of their own, so they do not weigh on the idle-RSS measure. */
  floodHome: string;
  constructor(readonly name = 'jobctl', readonly cli = JOBCTL, markerBase = 100001) {
    this.marker = String(markerBase);
    this.marker1k = String(markerBase + 10);
    this.home = path.join(WORK, `${name.replace(/[^a-z0-9]/gi, '-')}-home`);
    this.floodHome = path.join(WORK, `${name.replace(/[^a-z0-9]/gi, '-')}-flood-home`);
  }
  private run(args: string[]) {
    return execa(process.execPath, [this.cli, ...args], { env: this.env() });
  }
  async setup(): Promise<void> {
    for (const h of [this.home, this.floodHome]) {
      fs.rmSync(h, { recursive: true, force: true });
      fs.mkdirSync(path.join(h, 'tasks'), { recursive: true });
    }
    fs.writeFileSync(path.join(this.home, 'tasks/bench.yaml'), `tasks:
  sleepers:
    command: ["sleep", "${sleepers(this.marker)}"]
    instances: 100
    start_seconds: 0
  sleepers1k:
    command: ["sleep", "${this.marker1k}"]
    instances: 1000
    start_seconds: 0
`);
    fs.writeFileSync(path.join(this.home, 'tasks/edit.yaml'), 'tasks:\n  edit:\n    command: ["sleep", "200001"]\n');
    const flood = (ts: boolean) => `  flood-${ts ? 'ts' : 'raw'}:\n    command: ["${process.execPath}", "${FLOOD}", "${LINES}"]\n    restart: never\n    logs: {timestamps: ${ts}, max_size: 10GB}\n`;
    fs.writeFileSync(path.join(this.floodHome, 'tasks/flood.yaml'), `tasks:\n${flood(false)}${flood(true)}`);
    await this.run(['up', '--timeout', '120']); // it starts 1,100 processes before it answers
    await this.run(['stop', 'sleepers1k']);
    await this.run(['stop', 'sleepers']);
    await this.runFlood(['up']);
    await this.runFlood(['stop', '--all']);
  }
  private runFlood(args: string[]) {
    return execa(process.execPath, [this.cli, ...args], { env: { JOBCTL_HOME: this.floodHome, NO_COLOR: '1' }, reject: false });
  }
  async start100() {
    await this.run(['start', 'sleepers']);
  }
  async stop100() {
    await this.run(['stop', 'sleepers']);
  }
  async start1000() {
    await this.run(['start', 'sleepers1k']);
  }
  async stop1000() {
    await this.run(['stop', 'sleepers1k']);
  }
  daemonPid() {
    return Number(fs.readFileSync(path.join(this.home, 'state/jobctl.pid'), 'utf8').split(' ')[0]);
  }
  statusArgv(): [string, string[], Record<string, string>] {
    return [process.execPath, [this.cli, 'status'], this.env()];
  }
  floodLog(ts: boolean) {
    return path.join(this.floodHome, `state/logs/flood-${ts ? 'ts' : 'raw'}/0.log`);
  }
  async startFlood(ts: boolean) {
    await this.runFlood(['start', `flood-${ts ? 'ts' : 'raw'}`]);
  }
  async edit(marker: string) {
    fs.writeFileSync(path.join(this.home, 'tasks/edit.yaml'), `tasks:\n  edit:\n    command: ["sleep", "${marker}"]\n`);
  }
  async teardown() {
    await this.run(['down', '--now']).catch(() => undefined);
    await this.runFlood(['down', '--now']);
  }
}

export class Pm2 implements Tool {
  name = 'pm2';
  marker = '100002';
  marker1k = '100012';
  prefixBytes = '2026-01-01T00:00:00: '.length;
  dir = path.join(WORK, 'pm2-run');
  bin = path.join(WORK, 'pm2/node_modules/.bin/pm2');
  env = (): Record<string, string> => ({ PM2_HOME: path.join(this.dir, 'home') });
  private run(args: string[]) {
    return execa(this.bin, args, { env: this.env(), cwd: this.dir });
  }
  async setup(): Promise<void> {
    fs.rmSync(this.dir, { recursive: true, force: true });
    fs.mkdirSync(this.dir, { recursive: true });
    // PM2 require()s its ecosystem files: this directory is CommonJS, whatever the repo is.
    fs.writeFileSync(path.join(this.dir, 'package.json'), '{"type":"commonjs"}\n');
    fs.writeFileSync(path.join(this.dir, 'sleepers.config.js'), `module.exports = { apps: [{ name: 'sleepers', script: 'sleep', args: '${this.marker}', interpreter: 'none', exec_mode: 'fork', instances: 100, autorestart: true }] };\n`);
    fs.writeFileSync(path.join(this.dir, 'sleepers1k.config.js'), `module.exports = { apps: [{ name: 'sleepers1k', script: 'sleep', args: '${this.marker1k}', interpreter: 'none', exec_mode: 'fork', instances: 1000, autorestart: true }] };\n`);
    for (const ts of [false, true]) {
      fs.writeFileSync(path.join(this.dir, `flood-${ts ? 'ts' : 'raw'}.config.js`), `module.exports = { apps: [{ name: 'flood-${ts ? 'ts' : 'raw'}', script: '${FLOOD}', args: '${LINES}', autorestart: false, out_file: '${this.floodLog(ts)}', error_file: '${path.join(this.dir, 'err.log')}', merge_logs: true, time: ${ts} }] };\n`);
    }
    this.writeEdit('200002');
    await this.run(['ping']);
    await this.run(['start', 'edit.config.js']);
  }
  private writeEdit(marker: string) {
    fs.writeFileSync(path.join(this.dir, 'edit.config.js'), `module.exports = { apps: [{ name: 'edit', script: 'sleep', args: '${marker}', interpreter: 'none' }] };\n`);
  }
  async start100() {
    await this.run(['start', 'sleepers.config.js']);
  }
  async stop100() {
    await this.run(['delete', 'sleepers']);
  }
  async start1000() {
    await this.run(['start', 'sleepers1k.config.js']);
  }
  async stop1000() {
    await this.run(['delete', 'sleepers1k']);
  }
  daemonPid() {
    return Number(fs.readFileSync(path.join(this.dir, 'home/pm2.pid'), 'utf8'));
  }
  statusArgv(): [string, string[], Record<string, string>] {
    return [this.bin, ['ls'], this.env()];
  }
  floodLog(ts: boolean) {
    return path.join(this.dir, `flood-${ts ? 'ts' : 'raw'}.log`);
  }
  async startFlood(ts: boolean) {
    await this.run(['delete', `flood-${ts ? 'ts' : 'raw'}`]).catch(() => undefined);
    await this.run(['start', `flood-${ts ? 'ts' : 'raw'}.config.js`]);
  }
  async edit(marker: string) {
    // PM2 applies a changed command on a manual delete + start of the app (reload keeps the old args).
    this.writeEdit(marker);
    await this.run(['delete', 'edit']);
    await this.run(['start', 'edit.config.js']);
  }
  async teardown() {
    await this.run(['kill']).catch(() => undefined);
  }
}

export class Supervisord implements Tool {
  name = 'supervisord';
  marker = '100003';
  marker1k = '100013';
  prefixBytes = 0;
  dir = path.join(WORK, 'supervisor-run');
  conf = path.join(this.dir, 'supervisord.conf');
  private ctl(args: string[]) {
    return execa('supervisorctl', ['-c', this.conf, ...args]);
  }
  private write(editMarker: string) {
    fs.writeFileSync(this.conf, `[unix_http_server]
file=${this.dir}/supervisor.sock
[supervisord]
logfile=${this.dir}/supervisord.log
pidfile=${this.dir}/supervisord.pid
childlogdir=${this.dir}
user=root
minfds=16384
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
[supervisorctl]
serverurl=unix://${this.dir}/supervisor.sock
[program:sleepers]
command=sleep ${this.marker}
numprocs=100
process_name=%(program_name)s_%(process_num)02d
autostart=false
autorestart=true
startsecs=0
stdout_logfile=NONE
stderr_logfile=NONE
[program:sleepers1k]
command=sleep ${this.marker1k}
numprocs=1000
process_name=%(program_name)s_%(process_num)03d
autostart=false
autorestart=true
startsecs=0
stdout_logfile=NONE
stderr_logfile=NONE
[program:flood-raw]
command=${process.execPath} ${FLOOD} ${LINES}
autostart=false
autorestart=false
startsecs=0
stdout_logfile=${this.floodLog(false)}
stdout_logfile_maxbytes=0
redirect_stderr=true
[program:edit]
command=sleep ${editMarker}
startsecs=0
stdout_logfile=NONE
`);
  }
  async setup(): Promise<void> {
    fs.rmSync(this.dir, { recursive: true, force: true });
    fs.mkdirSync(this.dir, { recursive: true });
    this.write('200003');
    await execa('supervisord', ['-c', this.conf]);
    for (let i = 0; i < 100; i++) {
      if ((await this.ctl(['status']).catch((e) => e)).exitCode !== 4) break; // 4: cannot connect yet
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  async start100() {
    await this.ctl(['start', 'sleepers:*']);
  }
  async stop100() {
    await this.ctl(['stop', 'sleepers:*']);
  }
  async start1000() {
    await this.ctl(['start', 'sleepers1k:*']);
  }
  async stop1000() {
    await this.ctl(['stop', 'sleepers1k:*']);
  }
  daemonPid() {
    return Number(fs.readFileSync(path.join(this.dir, 'supervisord.pid'), 'utf8'));
  }
  statusArgv(): [string, string[], Record<string, string>] {
    return ['supervisorctl', ['-c', this.conf, 'status'], {}];
  }
  floodLog(_timestamps?: boolean) {
    return path.join(this.dir, 'flood.log');
  }
  async startFlood() {
    await this.ctl(['start', 'flood-raw']);
  }
  async edit(marker: string) {
    this.write(marker);
    await this.ctl(['reread']);
    await this.ctl(['update']);
  }
  async teardown() {
    await this.ctl(['shutdown']).catch(() => undefined);
  }
}
