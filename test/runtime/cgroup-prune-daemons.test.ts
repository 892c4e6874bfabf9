import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { homeCgroupName, parseMountinfo, parseProcCgroup, type ControllerName } from '../../src/runtime/cgroup.js';
import { defaultCgroupRegistry } from '../../src/runtime/cgroup-registry.js';
import { cleanupDaemons, makeHome, startTestDaemon, taskStatus, type TestDaemon } from '../helpers/daemon.js';
import { tempDirs } from '../helpers/temp.js';
import { waitFor } from '../helpers/wait.js';

/**
 * The cgroup subtrees a killed daemon leaves, in the v2 tree and in every v1 hierarchy it writes
 * (hybrid host), go at the next start of any daemon of the user once the home is deleted, or at
 * the restart of the same home, even when the dead daemon ran in other groups (another session)
 * and under another $HOME. A live daemon's subtrees stay.
 */

const mounts = parseMountinfo(fs.readFileSync('/proc/self/mountinfo', 'utf8'));
const own = parseProcCgroup(fs.readFileSync('/proc/self/cgroup', 'utf8'));
const v2Mount = mounts.find((m) => m.fstype === 'cgroup2');
const V2 = v2Mount && own.has('') ? path.join(v2Mount.point, own.get('')!) : undefined;

/** This process's group in each v1 hierarchy of a controller the v2 tree lacks (a hybrid host). */
function ownV1Groups(): Partial<Record<ControllerName, string>> {
  const out: Partial<Record<ControllerName, string>> = {};
  const v2Has = V2 ? fs.readFileSync(path.join(V2, 'cgroup.controllers'), 'utf8').trim().split(/\s+/) : [];
  for (const c of ['memory', 'pids', 'cpu'] as const) {
    if (v2Has.includes(c)) continue;
    const m = mounts.find((x) => x.fstype === 'cgroup' && x.options.includes(c));
    const key = [...own.keys()].find((k) => k.split(',').includes(c));
    if (m && key !== undefined) out[c] = path.join(m.point, own.get(key)!);
  }
  return out;
}

const V1 = ownV1Groups();
const CAN = process.getuid?.() === 0 && V2 !== undefined && Object.keys(V1).length > 0;

const temps = tempDirs();
const sessions: string[] = [];
let seq = 0;

/** Groups of "another session" beside ours in each v1 hierarchy, for a daemon to start in. */
function otherSession(): Partial<Record<ControllerName, string>> {
  const out: Partial<Record<ControllerName, string>> = {};
  for (const [c, dir] of Object.entries(V1) as Array<[ControllerName, string]>) {
    const g = path.join(dir, `prune-test-session-${process.pid}-${seq}`);
    fs.mkdirSync(g);
    sessions.push(g);
    out[c] = g;
  }
  seq++;
  return out;
}

const joinFiles = (groups: Partial<Record<ControllerName, string>>) => Object.values(groups).map((g) => path.join(g, 'cgroup.procs'));

/** Every subtree a daemon of this home in these v1 groups writes: v2 first. */
function subtrees(home: string, groups: Partial<Record<ControllerName, string>>): string[] {
  const name = homeCgroupName(home);
  return [path.join(V2!, name), ...Object.values(groups).map((g) => path.join(g, name))];
}

function leaves(dir: string): string[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch {
    return [];
  }
}

function procsUnder(dir: string): number[] {
  let own: number[] = [];
  try {
    own = fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
  return [...own, ...leaves(dir).flatMap((l) => procsUnder(path.join(dir, l)))];
}

/** Kill what is in a tree and rmdir it, leaves first (what a failed test left). */
function removeTree(dir: string): void {
  for (const l of leaves(dir)) removeTree(path.join(dir, l));
  for (const p of procsUnder(dir)) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  try {
    fs.rmdirSync(dir);
  } catch {
    /* gone, or still draining */
  }
}

const tasks = (n: number) => ({
  'tasks/w.yaml': `tasks:\n  w:\n    command: [sleep, "600"]\n    instances: ${n}\n    limits: {memory: 64MB, pids: 20, cpu: 0.5}\n`,
});

async function running(d: TestDaemon, n: number): Promise<void> {
  await waitFor(async () => (await taskStatus(d, 'w')).instances?.filter((i) => i.state === 'running').length === n, 30_000, `${n} instances running`);
}

async function killDaemon(d: TestDaemon): Promise<void> {
  const exited = new Promise((r) => d.child.once('exit', r));
  d.child.kill('SIGKILL');
  await exited;
}

afterEach(async () => {
  expect(await cleanupDaemons()).toEqual([]);
});

afterAll(() => {
  for (const g of sessions.reverse()) {
    for (const l of leaves(g)) removeTree(path.join(g, l));
    removeTree(g);
  }
  temps.cleanup();
});

describe.runIf(CAN)('cgroup subtrees of killed daemons', () => {
  it('a deleted home: every hierarchy of a daemon killed with -9 goes at the next start of a daemon of another home and $HOME; a live daemon keeps its tree', async () => {
    const session = otherSession();
    const gone = makeHome(tasks(20));
    const a = await startTestDaemon(gone, { HOME: temps.dir(), XDG_STATE_HOME: temps.dir() }, { joinCgroups: joinFiles(session) });
    await running(a, 20);
    const dirsA = subtrees(gone, session);
    for (const d of dirsA) expect(leaves(d)).toHaveLength(20);
    const liveHome = makeHome(tasks(2));
    const live = await startTestDaemon(liveHome);
    await running(live, 2);
    const dirsLive = subtrees(liveHome, V1);

    await killDaemon(a);
    // A test teardown: its tasks killed, its home deleted.
    fs.writeFileSync(path.join(dirsA[0]!, 'cgroup.kill'), '1');
    await waitFor(() => dirsA.every((d) => procsUnder(d).length === 0), 20_000, "the dead daemon's tasks to end");
    fs.rmSync(gone, { recursive: true, force: true });

    await startTestDaemon(makeHome(tasks(1)), { HOME: temps.dir(), XDG_STATE_HOME: temps.dir() });
    for (const d of dirsA) expect(fs.existsSync(d), d).toBe(false);
    // The prune is host-wide: a daemon of a test file running beside this one may be the one that
    // removed them (and logged it), so the assertion is on what is gone, not on who said so.
    expect(fs.existsSync(path.join(defaultCgroupRegistry(), `${homeCgroupName(gone)}.json`))).toBe(false);
    for (const d of dirsLive) expect(leaves(d), d).toHaveLength(2);
    expect((await taskStatus(live, 'w')).instances?.filter((i) => i.state === 'running')).toHaveLength(2);
  }, 120_000);

  it('the same home restarted after kill -9: no leaf is left beyond the live ones, in any hierarchy', async () => {
    const session = otherSession();
    const home = makeHome(tasks(20));
    const a = await startTestDaemon(home, {}, { joinCgroups: joinFiles(session) });
    await running(a, 20);
    const before = subtrees(home, session);
    for (const d of before) expect(leaves(d)).toHaveLength(20);
    await killDaemon(a); // its tasks go on running until the next daemon sweeps them

    const b = await startTestDaemon(home);
    await running(b, 20);
    for (const d of before.slice(1)) expect(fs.existsSync(d), d).toBe(false);
    const after = subtrees(home, V1);
    for (const d of after) expect(leaves(d).sort(), d).toEqual(Array.from({ length: 20 }, (_, i) => `w.i${i}`).sort());
    // A clean stop removes the home's subtrees and their record (before the cleanup, which would
    // count the live daemon's tasks as the killed one's: same home).
    expect(await b.stop()).toBe(0);
    for (const d of after) expect(fs.existsSync(d), d).toBe(false);
    expect(fs.existsSync(path.join(defaultCgroupRegistry(), `${homeCgroupName(home)}.json`))).toBe(false);
  }, 120_000);
});
