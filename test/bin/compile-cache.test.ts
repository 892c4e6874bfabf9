import fs from 'node:fs';
import module from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileCacheDir } from '../../src/bin/compile-cache.js';
import { jobctl } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';

describe('the compile cache of the CLI (Node ≥ 22.1)', () => {
  it('is under the home of the password database; none when the uid has no entry', () => {
    expect(compileCacheDir(() => ({ homedir: '/home/alice' }))).toBe('/home/alice/.cache/jobctl/node-compile-cache');
    expect(compileCacheDir(() => { throw new Error('ENOENT: no such user'); })).toBeUndefined();
    expect(compileCacheDir(() => ({ homedir: 'relative' }))).toBeUndefined();
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
