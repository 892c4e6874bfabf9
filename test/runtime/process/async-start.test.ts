import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../../src/config/defaults.js';
import { startRunProcess } from '../../../src/runtime/cron-run.js';
import { InstanceDriver } from '../../../src/runtime/instance-driver.js';
import { LogSink } from '../../../src/runtime/log-sink.js';
import { parseMountinfo } from '../../../src/runtime/cgroup.js';
import { Containment } from '../../../src/runtime/process/contain.js';
import { spawnerInfo } from '../../../src/runtime/process/start.js';
import { ROOT } from '../../helpers/cli.js';
import { cronSpec, serviceSpec } from '../../helpers/specs.js';
import { tempDir } from '../../helpers/temp.js';
import { waitFor } from '../../helpers/wait.js';

/**
 * A start is handed over and its process is known a moment later (DESIGN.md "The hot path"):
 * whatever happens in between — a stop, a failure of the start, the daemon's death — ends
 * with nothing left behind and the instance or run in the state it would have reached had
 * the start been instant. On both spawners (child_process forced by JOBCTL_SPAWNER).
 */

const tmp = tempDir('jobctl-async-start-');
const containment = Containment.open(tmp.dir);
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});
afterAll(async () => {
  await containment.sweep(200);
  containment.close();
  tmp.cleanup();
});

/** Pids whose command line holds this marker (a `sleep <marker>` of one test). */
function withMarker(marker: string): number[] {
  const out: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').includes(marker)) {
        const state = /^\d+ \(.*\) (\S)/.exec(fs.readFileSync(`/proc/${name}/stat`, 'utf8'))?.[1];
        if (state !== 'Z') out.push(Number(name));
      }
    } catch {
      /* gone */
    }
  }
  return out;
}

/** The memory limit of the cgroup a process is in (v1 memory leaf where there is one, else v2 memory.max). */
function memoryLimitOf(pid: number): number | undefined {
  const lines = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n').map((l) => l.split(':'));
  const mounts = parseMountinfo(fs.readFileSync('/proc/self/mountinfo', 'utf8'));
  const v1 = lines.find((l) => l[1]!.split(',').includes('memory'));
  const v1Mount = mounts.find((x) => x.fstype === 'cgroup' && x.options.includes('memory'));
  const file = v1 && v1Mount
    ? path.join(v1Mount.point, v1[2]!, 'memory.limit_in_bytes')
    : path.join(mounts.find((x) => x.fstype === 'cgroup2')!.point, lines.find((l) => l[0] === '0')![2]!, 'memory.max');
  const text = fs.readFileSync(file, 'utf8').trim();
  return /^\d+$/.test(text) ? Number(text) : undefined;
}

let seq = 0;
const marker = () => String(7_000_000 + process.pid * 100 + seq++);

function sink(name: string): LogSink {
  const s = new LogSink({ path: path.join(tmp.dir, `${name}.log`), logs: { ...DEFAULTS.logs } });
  cleanups.push(() => s.close());
  return s;
}

const NATIVE = spawnerInfo().spawner === 'native';
const SPAWNERS = [
  { name: 'native', env: undefined as string | undefined, skip: !NATIVE },
  { name: 'child_process', env: 'child_process', skip: false },
];

describe.each(SPAWNERS)('a start in flight ($name)', ({ name, env, skip }) => {
  const prev = process.env.JOBCTL_SPAWNER;
  const useSpawner = () => {
    if (env === undefined) delete process.env.JOBCTL_SPAWNER;
    else process.env.JOBCTL_SPAWNER = env;
    cleanups.push(() => {
      if (prev === undefined) delete process.env.JOBCTL_SPAWNER;
      else process.env.JOBCTL_SPAWNER = prev;
    });
  };

  it.skipIf(skip)('a stop given before the pid is known wins: the instance is stopped and nothing is left', async () => {
    useSpawner();
    const m = marker();
    const driver = new InstanceDriver({ spec: serviceSpec({ name: `race-${name}`, command: ['sleep', m], stopTimeoutMs: 5000 }), index: 0, sink: sink(`stop-${name}`), containment });
    cleanups.push(() => driver.dispose());
    const states: string[] = [];
    driver.on('state', (s: { state: string }) => states.push(s.state));
    driver.start();
    expect(driver.status().pid).toBeUndefined(); // handed over, not known yet
    await driver.stop();
    expect(driver.state).toBe('stopped');
    expect(states).not.toContain('running');
    expect(withMarker(m)).toEqual([]);
    // and it can start again afterwards
    driver.start();
    await waitFor(() => driver.state === 'running', 20_000, 'running after the race');
    expect(withMarker(m)).toEqual([driver.status().pid]);
  });

  it.skipIf(skip)('a restart given before the pid is known stops that process and starts one other', async () => {
    useSpawner();
    const m = marker();
    const driver = new InstanceDriver({ spec: serviceSpec({ name: `restart-${name}`, command: ['sleep', m] }), index: 0, sink: sink(`restart-${name}`), containment });
    cleanups.push(() => driver.dispose());
    driver.start();
    driver.restart('test');
    await waitFor(() => driver.state === 'running', 20_000, 'running after the restart');
    await waitFor(() => withMarker(m).length === 1, 10_000, 'one process of the instance');
    expect(withMarker(m)).toEqual([driver.status().pid]);
    expect(driver.status().restarts).toBe(1);
  });

  it.skipIf(skip)('a start that fails after the hand-over is the same clear error, and a stop meanwhile still ends in stopped', async () => {
    useSpawner();
    const bad = path.join(tmp.dir, 'no-such-dir');
    const driver = new InstanceDriver({
      spec: serviceSpec({ name: `fail-${name}`, command: ['sleep', '1'], cwd: bad, restart: 'never' }), index: 0, sink: sink(`fail-${name}`), containment,
    });
    cleanups.push(() => driver.dispose());
    driver.start();
    await waitFor(() => driver.state === 'exited' || driver.state === 'fatal' || driver.state === 'backoff', 20_000, 'the failed start to reach the machine');
    expect(driver.status().message).toBe(`cwd ${bad} does not exist or is not a directory`);
    await waitFor(() => fs.readFileSync(path.join(tmp.dir, `fail-${name}.log`), 'utf8').includes(`could not start: cwd ${bad} does not exist or is not a directory`), 5000, 'the log line');
    driver.start();
    await driver.stop();
    expect(driver.state).toBe('stopped');
  });

  it.skipIf(skip || containment.mode !== 'cgroup')('limits changed while the start is in flight are in force on the process it starts', async () => {
    useSpawner();
    const m = marker();
    const spec = serviceSpec({ name: `limits-${name}`, command: ['sleep', m] });
    const driver = new InstanceDriver({ spec, index: 0, sink: sink(`limits-${name}`), containment });
    cleanups.push(() => driver.dispose());
    driver.start();
    expect(driver.status().pid).toBeUndefined(); // handed over, not known yet
    driver.setSpec({ ...spec, limits: { memory: 64 * 1024 * 1024 } }); // a reload meanwhile
    const pid = (await waitFor(() => driver.status().pid, 20_000, 'the pid'))!;
    // The child_process spawner's pid is a /bin/sh that joins the cgroup and then execs the
    // command: the command (the marker) runs in the box, the shell a moment before may not.
    await waitFor(() => withMarker(m).includes(pid), 20_000, 'the command to run in its box');
    expect(memoryLimitOf(pid)).toBe(64 * 1024 * 1024);
  });

  it.skipIf(skip)('a cron run stopped before its process is known ends killed, with nothing left', async () => {
    useSpawner();
    const m = marker();
    const run = startRunProcess(cronSpec({ name: `cron-${name}`, command: ['sleep', m] }), { id: `r${m}`, trigger: 'manual', attempt: 1 }, {
      logPath: path.join(tmp.dir, `cron-${name}.log`), containment,
    });
    run.stop('test stop');
    const end = await run.done;
    await run.close('done');
    expect(end).toMatchObject({ killed: true, message: 'test stop' });
    expect(withMarker(m)).toEqual([]);
  });
});

describe('the daemon killed between the hand-over and the pid', () => {
  it.skipIf(!NATIVE)('leaves no process behind (pdeathsig, set by the child before its exec)', async () => {
    const m = marker();
    // A tiny supervisor: hands 20 starts over and is SIGKILLed in the same turn, before any pid is known.
    const script = `import('${ROOT}/dist/runtime/process/start.js').then((mod) => {
      for (let i = 0; i < 20; i++) mod.spawnProcess({ command: ['sleep', '${m}'], cwd: '/', env: {} }).catch(() => {});
      process.kill(process.pid, 'SIGKILL');
    });`;
    const r = await execa(process.execPath, ['--input-type=module', '-e', script], { reject: false });
    expect(r.signal).toBe('SIGKILL');
    await waitFor(() => withMarker(m).length === 0, 10_000, 'no process of the dead supervisor left');
  });
});
