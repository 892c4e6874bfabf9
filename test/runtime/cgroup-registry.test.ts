import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { homeCgroupName } from '../../src/runtime/cgroup.js';
import { adoptLegacy, readRegistry } from '../../src/runtime/cgroup-registry.js';
import { ROOT } from '../helpers/cli.js';
import { tempDirs } from '../helpers/temp.js';
import { waitFor } from '../helpers/wait.js';

/**
 * What a daemon reads from its user's cgroup registry at every start: only small regular files
 * of a directory no one else may write in. A FIFO, a device or a symlink at a record's name, or a
 * registry another user can write in, is not read (a FIFO held the daemon's start forever).
 */

const temps = tempDirs();
afterAll(() => temps.cleanup());

const record = (home: string) => JSON.stringify({ home, dirs: [], pid: 2, start: 1 }) + '\n';

/** The prune of a daemon's start, in a process of its own (`before` runs first in it); its exit code. */
async function pruneInChild(home: string, registry: string, before = ''): Promise<number | null> {
  const lib = path.join(ROOT, 'dist/runtime/cgroup-prune.js');
  const script = `${before} import(${JSON.stringify(lib)}).then((m) => { m.pruneDeletedHomes({ home: process.argv[1], registry: ${JSON.stringify(registry)}, parent: '/nonexistent' }); console.log('done'); })`;
  const child = spawn(process.execPath, ['-e', script, home], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const code = new Promise<number | null>((r) => child.once('exit', r));
  await waitFor(() => out.includes('done'), 20_000, 'the prune to return').catch((e: unknown) => {
    child.kill('SIGKILL');
    throw e;
  });
  return code;
}

describe('the cgroup registry, read at each daemon start', () => {
  it('reads no FIFO, symlink or oversized file at a record name: the prune returns, those records are not believed', async () => {
    const registry = path.join(temps.dir(), 'cgroup-homes');
    fs.mkdirSync(registry, { mode: 0o700 });
    const fifoHome = path.join(temps.dir(), 'fifo-home');
    execFileSync('mkfifo', [path.join(registry, `${homeCgroupName(fifoHome)}.json`)]);
    // A record elsewhere (a file another user writes), linked in.
    const linkHome = path.join(temps.dir(), 'linked-home');
    const elsewhere = path.join(temps.dir(), 'forged.json');
    fs.writeFileSync(elsewhere, record(linkHome));
    fs.symlinkSync(elsewhere, path.join(registry, `${homeCgroupName(linkHome)}.json`));
    const bigHome = path.join(temps.dir(), 'big-home');
    fs.writeFileSync(path.join(registry, `${homeCgroupName(bigHome)}.json`), record(bigHome).replace('\n', ' '.repeat(1 << 20) + '\n'));
    const fineHome = temps.dir();
    fs.writeFileSync(path.join(registry, `${homeCgroupName(fineHome)}.json`), record(fineHome));

    // As a daemon starts: in a process of its own (a FIFO blocks the whole thread).
    expect(await pruneInChild(temps.dir(), registry)).toBe(0);

    const homes = [...readRegistry(registry).values()].map((r) => r.home);
    expect(homes).toContain(fineHome);
    for (const h of [fifoHome, linkHome, bigHome]) expect(homes).not.toContain(h);
  }, 30_000);

  it('believes no record of a registry that another user may write in', () => {
    const registry = path.join(temps.dir(), 'cgroup-homes');
    fs.mkdirSync(registry, { mode: 0o700 });
    const home = temps.dir();
    fs.writeFileSync(path.join(registry, `${homeCgroupName(home)}.json`), record(home));
    expect([...readRegistry(registry).keys()]).toEqual([homeCgroupName(home)]);
    fs.chmodSync(registry, 0o777);
    expect(readRegistry(registry).size).toBe(0);
    fs.chmodSync(registry, 0o700);
    if (process.getuid?.() === 0) {
      fs.chownSync(registry, 54321, 54321); // another uid
      expect(readRegistry(registry).size).toBe(0);
    }
  });

  it('writes no record into a registry another user may write in (a FIFO planted at its temporary name held the start)', async () => {
    const registry = path.join(temps.dir(), 'cgroup-homes');
    fs.mkdirSync(registry);
    fs.chmodSync(registry, 0o777);
    const home = temps.dir();
    const name = homeCgroupName(home);
    // In a process of its own (an open that waits on a FIFO blocks the whole thread). The other
    // user's FIFO is at the temporary name the daemon writes its record to: <name>.json.<pid>.tmp.
    const fifo = `require('node:child_process').execFileSync('mkfifo', [${JSON.stringify(path.join(registry, `${name}.json.`))} + process.pid + '.tmp']);`;
    expect(await pruneInChild(home, registry, fifo)).toBe(0);
    expect(fs.existsSync(path.join(registry, `${name}.json`))).toBe(false);
  }, 30_000);

  it('checks only the records a caller wants, and still refuses a forged one among them', () => {
    const registry = path.join(temps.dir(), 'cgroup-homes');
    fs.mkdirSync(registry, { mode: 0o700 });
    const homes = Array.from({ length: 5 }, () => temps.dir());
    for (const h of homes) fs.writeFileSync(path.join(registry, `${homeCgroupName(h)}.json`), record(h));
    // A record whose name is not its home's hash: never believed, wanted or not.
    const forgedHome = path.join(temps.dir(), 'gone');
    fs.writeFileSync(path.join(registry, `${homeCgroupName(path.join(forgedHome, 'other'))}.json`), record(forgedHome));
    const seen: string[] = [];
    const got = readRegistry(registry, undefined, (c) => {
      seen.push(c.home);
      return c.home === homes[2] || c.home === forgedHome;
    });
    expect([...got.values()].map((r) => r.home)).toEqual([homes[2]]);
    expect(got.get(homeCgroupName(homes[2]!))).toMatchObject({ pid: 2, start: 1, dirs: [] });
    expect(seen.sort()).toEqual([...homes, forgedHome].sort());
    expect(readRegistry(registry).size).toBe(5);
  });

  it('does not let a line of the old one-file registry overwrite a record the caller did not want', () => {
    const registry = path.join(temps.dir(), 'cgroup-homes');
    fs.mkdirSync(registry, { mode: 0o700 });
    const home = temps.dir();
    const file = path.join(registry, `${homeCgroupName(home)}.json`);
    fs.writeFileSync(file, record(home));
    const before = fs.readFileSync(file, 'utf8');
    const legacy = path.join(temps.dir(), 'cgroup-homes.jsonl');
    fs.writeFileSync(legacy, JSON.stringify({ name: homeCgroupName(home), home }) + '\n');
    adoptLegacy(legacy, registry, new Map(), '/nonexistent');
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
    expect(fs.existsSync(legacy)).toBe(false);
  });
});
