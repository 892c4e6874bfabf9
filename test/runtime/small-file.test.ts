import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readNumbers, readSmall } from '../../src/runtime/small-file.js';
import { tempDir } from '../helpers/temp.js';

describe('readSmall (the sampling path\'s reads)', () => {
  it('reads a many-page seq_file whole (a page per read from the kernel, not one short read)', () => {
    const want = fs.readFileSync('/proc/self/smaps', 'latin1');
    expect(want.length).toBeGreaterThan(3 * 4096);
    const got = readSmall('/proc/self/smaps')!;
    // Same process, so the same mappings (a line or two may change between reads: compare heads and size).
    expect(got.split('\n').length).toBeGreaterThan(want.split('\n').length * 0.9);
    expect(got.slice(0, 200)).toBe(want.slice(0, 200));
  });

  it('reads a regular file larger than its buffer, and numbers one per line', () => {
    const t = tempDir('jobctl-small-');
    const nums = Array.from({ length: 20_000 }, (_, i) => i * 7 + 1);
    fs.writeFileSync(`${t.dir}/procs`, `${nums.join('\n')}\n`);
    expect(readNumbers(`${t.dir}/procs`)).toEqual(nums);
    expect(readSmall(`${t.dir}/missing`)).toBeUndefined();
    expect(readNumbers(`${t.dir}/missing`)).toEqual([]);
    t.cleanup();
  });
});
