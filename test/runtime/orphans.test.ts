import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { sweepOrphans, survivorsOf } from '../../src/runtime/orphans.js';
import { listProcesses, readStat } from '../../src/runtime/proc.js';
import { spawnProcess } from '../../src/runtime/process/start.js';
import { fixture } from '../helpers/specs.js';
import { ROOT } from '../helpers/cli.js';
import { killGroup, livePids, waitFor } from '../helpers/wait.js';

const groups: number[] = [];
afterAll(() => groups.forEach(killGroup));

describe('orphan sweep', () => {
  it('kills a recorded group that outlived its daemon, grandchildren included', async () => {
    const p = await spawnProcess({ command: [fixture('ignore-term.sh')], cwd: '/', env: {} });
    groups.push(p.pgid);
    p.stdout.resume();
    p.stderr.resume();
    await waitFor(() => livePids(p.pgid).length >= 4, 5000, 'group up');
    const found = await sweepOrphans({ 'w/0': { pid: p.pid, pgid: p.pgid, startTime: p.startTime!, task: 'w' } }, 300);
    expect(found).toHaveLength(1);
    expect(found[0]!.pids.length).toBeGreaterThanOrEqual(4);
    expect(livePids(p.pgid)).toEqual([]);
  });

  it('never touches a reused pid (start time differs)', async () => {
    const p = await spawnProcess({ command: 'sleep 1000', cwd: '/', env: {} });
    groups.push(p.pgid);
    const found = await sweepOrphans({ 'w/0': { pid: p.pid, pgid: p.pgid, startTime: p.startTime! - 1, task: 'w' } }, 100);
    expect(found).toEqual([]);
    expect(livePids(p.pgid)).toContain(p.pid);
    // and a record without a start time is left alone too
    expect(survivorsOf({ pid: p.pid, pgid: p.pgid, task: 'w' }, listProcesses())).toEqual([]);
    killGroup(p.pgid);
  });

  it('a record of a long-gone group finds nothing', async () => {
    expect(await sweepOrphans({ 'x/0': { pid: 999_999_9, pgid: 999_999_9, startTime: 1, task: 'x' } })).toEqual([]);
  });
});

describe('pdeathsig', () => {
  it('a child gets SIGTERM when the process that started it is killed with SIGKILL', async () => {
    // A tiny supervisor: starts `sleep` through spawnProcess (setpriv --pdeathsig TERM), prints its pid.
    const script = `import('${ROOT}/dist/runtime/process/start.js').then(async (m) => {
      const p = await m.spawnProcess({ command: ['sleep', '1000'], cwd: '/', env: {} });
      console.log(p.pid);
      setInterval(() => {}, 1000);
    });`;
    const parent = execa(process.execPath, ['--input-type=module', '-e', script], { reject: false, buffer: false });
    const pid = await new Promise<number>((resolve) => parent.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
    groups.push(pid);
    expect(readStat(pid)).toBeDefined();
    parent.kill('SIGKILL');
    await parent;
    await waitFor(() => readStat(pid) === undefined || readStat(pid)!.state === 'Z', 3000, 'child gone after parent SIGKILL');
  });
});
