import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { plainDaemonCall } from '../../src/bin/daemon-call.js';
import { addonPathFrom } from '../../src/runtime/process/native-spawner.js';
import { packageRootFrom } from '../../src/config/package-root.js';
import { CLI, jobctl, ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';
import { waitFor } from '../helpers/wait.js';

/**
 * `jobctl daemon` runs the daemon's bundle (scripts/build-bundles.mjs) without loading the CLI,
 * for the command lines `jobctl up` and the systemd unit write; any other goes through the CLI.
 */
describe('the plain daemon call', () => {
  it('is `daemon` with at most one --home, in either order and either form', () => {
    expect(plainDaemonCall(['daemon'])).toEqual({ home: undefined });
    expect(plainDaemonCall(['--home', '/srv/j', 'daemon'])).toEqual({ home: '/srv/j' });
    expect(plainDaemonCall(['daemon', '--home', 'rel'])).toEqual({ home: 'rel' });
    expect(plainDaemonCall(['--home=/srv/j', 'daemon'])).toEqual({ home: '/srv/j' });
  });

  it('is anything else for the CLI: help, other options, a missing or doubled value, other commands', () => {
    for (const args of [[], ['status'], ['daemon', '--help'], ['daemon', 'extra'], ['daemon', 'daemon'], ['--home'], ['daemon', '--home'],
      ['--home', '', 'daemon'], ['--home=', 'daemon'], ['--home', 'a', '--home', 'b', 'daemon'], ['--host', 'ssh://h', 'daemon'], ['--json', 'daemon']]) {
      expect(plainDaemonCall(args), args.join(' ')).toBeNull();
    }
    // JOBCTL_HOST set: the CLI decides (`daemon` runs on this host only, and it says so).
    expect(plainDaemonCall(['daemon'], { JOBCTL_HOST: 'ssh://far' })).toBeNull();
    expect(plainDaemonCall(['daemon'], {})).toEqual({ home: undefined });
  });
});

describe('the package root', () => {
  it('is found from a module at any depth of the sources, the compiled modules and both bundles (documentation, schema and addon paths hang on it)', () => {
    for (const from of ['src/cli/install', 'dist/cli/install', 'dist/cli-bundle', 'dist/daemon-bundle', 'src']) expect(packageRootFrom(path.join(ROOT, from))).toBe(ROOT);
  });
});

describe('the native addon', () => {
  it('is found from the package root, from the sources, the compiled modules and the bundle alike', () => {
    const want = path.join(ROOT, 'native/build/jobctl_spawn.node');
    for (const from of ['src/runtime/process', 'dist/runtime/process', 'dist/daemon-bundle']) expect(addonPathFrom(path.join(ROOT, from))).toBe(want);
  });
});

describe('the daemon bundle', () => {
  const dir = path.join(ROOT, 'dist/daemon-bundle');
  /** The chunks an ES module file imports statically (`from"./x.js"`, `import"./x.js"`) and on demand (`import("./x.js")`). */
  const importsOf = (file: string) => {
    const text = fs.readFileSync(path.join(dir, file), 'utf8');
    return {
      static: [...text.matchAll(/(?:from|import)\s*"\.\/([^"]+)"/g)].map((m) => m[1]!),
      onDemand: [...text.matchAll(/import\(\s*"\.\/([^"]+)"\s*\)/g)].map((m) => m[1]!),
    };
  };

  it('loads at start neither what only some hosts use nor the config pipeline (the same rule as test/daemon/resident-modules)', () => {
    const resident = new Set<string>();
    const onDemand = new Set<string>();
    const visit = (f: string) => {
      if (resident.has(f)) return;
      resident.add(f);
      const i = importsOf(f);
      i.onDemand.forEach((x) => onDemand.add(x));
      i.static.forEach(visit);
    };
    visit('entry.js');
    // The xxl-job executor, the metrics collector and the Redis lock are chunks of their own, loaded on demand.
    expect([...onDemand].filter((f) => resident.has(f))).toEqual([]);
    for (const name of ['service', 'collector', 'redis-lock']) expect([...onDemand].some((f) => f.startsWith(`${name}-`)), name).toBe(true);
    const text = [...resident].map((f) => fs.readFileSync(path.join(dir, f), 'utf8')).join('\n');
    for (const mark of ['ZodError', 'prom-client', 'ioredis', 'YAMLParseError']) expect(text.includes(mark), mark).toBe(false);
  });
});

describe('`jobctl daemon` without the CLI', () => {
  const tmp = tempDir('jobctl-daemon-call-');
  let child: ReturnType<typeof spawn> | undefined;
  afterEach(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((r) => child!.once('exit', r));
      child.kill('SIGKILL');
      await gone;
    }
    child = undefined;
  });
  afterAll(() => tmp.cleanup());

  it('ends with a clear error and status 1 on a home that cannot be made (under /proc it used to hang)', async () => {
    child = spawn(process.execPath, [CLI, '--home', '/proc/jobctl-no-such-home', 'daemon'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((r) => child!.once('exit', (c) => r(c)));
    expect(code).toBe(1);
    expect(err).toContain("mkdir '/proc/jobctl-no-such-home'");
  });

  it.each([
    ['--home=DIR', (home: string) => ({ args: [`--home=${home}`, 'daemon'], env: {} })],
    ['JOBCTL_HOME', (home: string) => ({ args: ['daemon'], env: { JOBCTL_HOME: home } })],
  ])('runs the home given by %s, answers, runs its tasks and ends with 0 on SIGTERM', async (_form, call) => {
    const home = path.join(tmp.dir, _form.replace(/\W/g, ''));
    fs.mkdirSync(path.join(home, 'tasks'), { recursive: true });
    fs.writeFileSync(path.join(home, 'tasks', 'w.yaml'), 'tasks:\n  w:\n    command: ["sleep", "600"]\n');
    const { args, env } = call(home);
    child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const running = await waitFor(async () => {
      const r = await jobctl(['status', '--json'], { home });
      if (r.code !== 0) return undefined;
      const t = (JSON.parse(r.stdout) as { tasks: Array<{ name: string; running?: number }> }).tasks.find((x) => x.name === 'w');
      return t?.running === 1 ? t : undefined;
    }, 30_000, 'the daemon to answer with w running');
    expect(running!.name).toBe('w');
    expect(err).toContain('spawner:');
    const exited = new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
