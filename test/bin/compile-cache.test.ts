import fs from 'node:fs';
import module from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileCacheDir, enableCompileCache } from '../../src/bin/compile-cache.js';
import { jobctl } from '../helpers/cli.js';
import { tempDir, tempDirs } from '../helpers/temp.js';

const CACHE = '.cache/jobctl/node-compile-cache';
const uid = process.geteuid!();
const homes = tempDirs('jobctl-cc-home-');
afterAll(() => homes.cleanup());

/** The directories `enableCompileCache` hands to Node for a user whose passwd home is `home`. */
function enabledFor(home: string, asUid = uid): string[] {
  const dirs: string[] = [];
  enableCompileCache((d) => dirs.push(d), () => ({ homedir: home }), asUid);
  return dirs;
}

describe('the compile cache of the CLI (Node ≥ 22.1)', () => {
  it('is under the home of the password database; none when the uid has no entry', () => {
    expect(compileCacheDir(() => ({ homedir: '/home/alice' }))).toBe('/home/alice/.cache/jobctl/node-compile-cache');
    expect(compileCacheDir(() => { throw new Error('ENOENT: no such user'); })).toBeUndefined();
    expect(compileCacheDir(() => ({ homedir: 'relative' }))).toBeUndefined();
    expect(enabledFor('relative')).toEqual([]);
  });

  it('is made private (0700) in the user\'s own home, and used', () => {
    const home = homes.dir();
    expect(enabledFor(home)).toEqual([path.join(home, CACHE)]);
    expect(fs.statSync(path.join(home, CACHE)).mode & 0o777).toBe(0o700);
    expect(enabledFor(home)).toEqual([path.join(home, CACHE)]); // and again, once it is there
  });

  it('is not used where another user made it or could change it (Node loads any matching cache file, whoever wrote it)', () => {
    const other = uid === 0 ? 12345 : uid + 1;
    const sound = homes.dir();
    expect(enabledFor(sound)).toEqual([path.join(sound, CACHE)]); // the same home, the user's own
    // Another user pre-created the cache in a shared home (sticky, as /tmp).
    const shared = homes.dir();
    fs.chmodSync(shared, 0o1777);
    fs.mkdirSync(path.join(shared, CACHE), { recursive: true });
    if (uid === 0) fs.chownSync(path.join(shared, '.cache'), other, other);
    expect(enabledFor(shared, uid === 0 ? uid : other)).toEqual([]);

    // Ours, but writable by others.
    const open = homes.dir();
    fs.mkdirSync(path.join(open, CACHE), { recursive: true });
    fs.chmodSync(path.join(open, '.cache/jobctl'), 0o777);
    expect(enabledFor(open)).toEqual([]);

    // A home that others may write (not sticky): .cache could be swapped later.
    const writable = homes.dir();
    fs.chmodSync(writable, 0o777);
    expect(enabledFor(writable)).toEqual([]);

    // A symlink below the home, to a directory others can fill.
    const linked = homes.dir();
    const elsewhere = homes.dir();
    fs.chmodSync(elsewhere, 0o1777);
    fs.symlinkSync(elsewhere, path.join(linked, '.cache'));
    expect(enabledFor(linked)).toEqual([]);
  });

  it('is skipped, without an error, when the home cannot be written', () => {
    const home = homes.dir();
    fs.chmodSync(home, 0o555);
    // root writes there anyway: a home that is a file stands for one it cannot write
    const file = path.join(home, 'file');
    fs.writeFileSync(file, '');
    expect(enabledFor(uid === 0 ? file : home)).toEqual([]);
  });

  it.runIf(typeof (module as { enableCompileCache?: unknown }).enableCompileCache === 'function')('a command fills it there, not under the $HOME it was given (sudo may keep another user\'s)', async () => {
    const tmp = tempDir('jobctl-compile-cache-');
    try {
      const r = await jobctl(['--version'], { env: { HOME: tmp.dir } });
      expect(r.code).toBe(0);
      expect(fs.existsSync(path.join(tmp.dir, '.cache'))).toBe(false);
      expect(fs.readdirSync(path.join(os.userInfo().homedir, '.cache/jobctl/node-compile-cache')).length).toBeGreaterThan(0);
    } finally {
      tmp.cleanup();
    }
  });
});
