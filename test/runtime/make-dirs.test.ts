import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeDirs } from '../../src/runtime/make-dirs.js';
import { tempDir } from '../helpers/temp.js';

const tmp = tempDir('jobctl-make-dirs-');
afterAll(() => tmp.cleanup());

describe('makeDirs (mkdir -p one level at a time)', () => {
  it('makes every missing level with the mode given, and is a no-op where the folder is', () => {
    const dir = path.join(tmp.dir, 'a/b/c');
    makeDirs(dir, 0o700);
    expect(fs.statSync(dir).isDirectory()).toBe(true);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    makeDirs(dir, 0o700);
  });

  it('throws where a level cannot be made — under /proc, where Node\'s recursive mkdir never returns', () => {
    expect(() => makeDirs('/proc/jobctl-no-such-home/state', 0o700)).toThrow(/ENOENT.*\/proc\/jobctl-no-such-home'/);
    fs.writeFileSync(path.join(tmp.dir, 'file'), '');
    expect(() => makeDirs(path.join(tmp.dir, 'file/state'))).toThrow(/ENOTDIR/);
  });
});
