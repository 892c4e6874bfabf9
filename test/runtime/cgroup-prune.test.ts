import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { homeCgroupName, parseMountinfo, parseProcCgroup } from '../../src/runtime/cgroup.js';
import { pruneDeletedHomes, recordHome } from '../../src/runtime/cgroup-prune.js';
import { readRegistry } from '../../src/runtime/cgroup-registry.js';
import { ROOT } from '../helpers/cli.js';
import { tempDirs } from '../helpers/temp.js';
import { waitFor } from '../helpers/wait.js';

const temps = tempDirs();
const made: string[] = [];
const pids: number[] = [];
afterAll(() => {
  for (const p of pids) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  for (const d of made.reverse()) {
    try {
      fs.rmdirSync(d);
    } catch {
      /* removed by the test, or still draining */
    }
  }
  temps.cleanup();
});

/** The v2 group of this process, when it may create groups in it (root with a v2 tree). */
function writableParent(): string | undefined {
  const v2 = parseMountinfo(fs.readFileSync('/proc/self/mountinfo', 'utf8')).find((m) => m.fstype === 'cgroup2');
  const own = parseProcCgroup(fs.readFileSync('/proc/self/cgroup', 'utf8')).get('');
  if (!v2 || own === undefined) return undefined;
  const dir = path.join(v2.point, own);
  try {
    fs.accessSync(dir, fs.constants.W_OK);
    return dir;
  } catch {
    return undefined;
  }
}

const parent = writableParent();

function mk(dir: string): string {
  fs.mkdirSync(dir);
  made.push(dir);
  return dir;
}

describe.skipIf(!parent)('cgroup subtrees of deleted homes', () => {
  it('removes the empty subtrees of homes that are gone, keeps live, busy and unattributable ones', async () => {
    const registry = path.join(temps.dir(), 'cgroup-homes');
    const live = temps.dir();
    const gone = temps.dir();
    const goneBusy = temps.dir();
    const other = temps.dir();
    // Each daemon records its home at start.
    for (const h of [gone, goneBusy, other]) pruneDeletedHomes({ home: h, registry, parent: '/nonexistent' });
    const goneDir = mk(path.join(parent!, homeCgroupName(gone)));
    mk(path.join(goneDir, 'w.i0'));
    mk(path.join(goneDir, 'c.r42'));
    const busyDir = mk(path.join(parent!, homeCgroupName(goneBusy)));
    const busyLeaf = mk(path.join(busyDir, 'w.i0'));
    const sleeper = spawn('sleep', ['300'], { stdio: 'ignore' });
    pids.push(sleeper.pid!);
    fs.writeFileSync(path.join(busyLeaf, 'cgroup.procs'), String(sleeper.pid));
    const otherDir = mk(path.join(parent!, homeCgroupName(other)));
    // A subtree nobody recorded (another user's, an older daemon's): never touched.
    const stranger = mk(path.join(parent!, `jobctl-${'0'.repeat(12)}`));
    const liveDir = mk(path.join(parent!, homeCgroupName(live)));
    fs.rmSync(gone, { recursive: true });
    fs.rmSync(goneBusy, { recursive: true });
    // A forged record naming a subtree under a deleted path does not match its hash.
    fs.writeFileSync(path.join(registry, `${path.basename(stranger)}.json`), JSON.stringify({ home: '/no/such/home', dirs: [stranger] }) + '\n');

    const r = pruneDeletedHomes({ home: live, registry, parent: parent! });
    expect(r.removed).toEqual([goneDir]);
    expect(fs.existsSync(goneDir)).toBe(false);
    expect(r.kept).toEqual([busyDir]);
    for (const d of [busyLeaf, otherDir, stranger, liveDir]) expect(fs.existsSync(d)).toBe(true);
    // Once its last process is gone, the next start removes it.
    sleeper.kill('SIGKILL');
    await waitFor(() => /^populated 0$/m.test(fs.readFileSync(path.join(busyDir, 'cgroup.events'), 'utf8')), 10_000, 'the busy subtree to empty');
    expect(pruneDeletedHomes({ home: live, registry, parent: parent! }).removed).toEqual([busyDir]);
    expect([...readRegistry(registry).values()].map((l) => l.home).sort()).toEqual([other, live].sort());
  });
});

describe.skipIf(!parent)('cgroup subtrees of a home deleted under its live daemon', () => {
  it('are kept while the recorded daemon (pid and start time) runs, removed once it is gone', async () => {
    const registry = path.join(temps.dir(), 'cgroup-homes');
    const home = temps.dir();
    const daemon = spawn('sleep', ['300'], { stdio: 'ignore' });
    pids.push(daemon.pid!);
    const dir = mk(path.join(parent!, homeCgroupName(home)));
    mk(path.join(dir, 'w.i0'));
    const start = Number(fs.readFileSync(`/proc/${daemon.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[19]);
    fs.mkdirSync(registry, { mode: 0o700 }); // (a group-writable registry is not read: umask 002)
    fs.writeFileSync(path.join(registry, `${homeCgroupName(home)}.json`), JSON.stringify({ home, dirs: [dir], pid: daemon.pid, start }));
    fs.rmSync(home, { recursive: true });
    const other = temps.dir();
    expect(pruneDeletedHomes({ home: other, registry, parent: parent! }).removed).toEqual([]);
    expect(fs.existsSync(path.join(dir, 'w.i0'))).toBe(true);
    // The same pid with another start time is not that daemon.
    fs.writeFileSync(path.join(registry, `${homeCgroupName(home)}.json`), JSON.stringify({ home, dirs: [dir], pid: daemon.pid, start: start + 1 }));
    expect(pruneDeletedHomes({ home: other, registry, parent: parent! }).removed).toEqual([dir]);
    expect(readRegistry(registry).has(homeCgroupName(home))).toBe(false);
  });
});

describe('the registry of cgroup subtrees', () => {
  it('keeps the record of every daemon that starts at the same moment (no lost update)', async () => {
    const registry = path.join(temps.dir(), 'cgroup-homes');
    const homes = Array.from({ length: 8 }, () => temps.dir());
    const lib = path.join(ROOT, 'dist/runtime/cgroup-prune.js');
    const script = `import(${JSON.stringify(lib)}).then((m) => m.pruneDeletedHomes({ home: process.argv[1], registry: ${JSON.stringify(registry)}, parent: '/nonexistent' }))`;
    await Promise.all(homes.map((h) => new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['-e', script, h], { stdio: 'ignore' });
      pids.push(child.pid!);
      child.once('error', reject);
      child.once('exit', resolve);
    })));
    expect([...readRegistry(registry).values()].map((r) => r.home).sort()).toEqual([...homes].sort());
  });

  const mount = process.platform === 'linux' ? parseMountinfo(fs.readFileSync('/proc/self/mountinfo', 'utf8')).find((m) => m.fstype.startsWith('cgroup')) : undefined;
  it.skipIf(!mount)('records the subtrees and the pid of the daemon at once, keeping those of the previous daemon of the home', () => {
    const registry = path.join(temps.dir(), 'cgroup-homes');
    const home = temps.dir();
    const name = homeCgroupName(home);
    recordHome(home, [path.join(mount!.point, 'old-session', name)], registry);
    recordHome(home, [path.join(mount!.point, name)], registry);
    expect(readRegistry(registry).get(name)).toMatchObject({ home, pid: process.pid, dirs: [path.join(mount!.point, name), path.join(mount!.point, 'old-session', name)] });
  });
});
