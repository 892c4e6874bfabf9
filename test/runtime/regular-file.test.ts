import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NotRegularFileError, readRegularFile } from '../../src/runtime/regular-file.js';
import { tempDir } from '../helpers/temp.js';

const t = tempDir('jobctl-regular-');
afterAll(() => t.cleanup());
const HAS_PROC = fs.existsSync('/proc/self/maps');

describe('readRegularFile', () => {
  it('reads a regular file whole, and refuses one whose size is over the limit', () => {
    const f = path.join(t.dir, 'a.env');
    fs.writeFileSync(f, 'A=1\nB=é\n');
    expect(readRegularFile(f, { max: 100 })).toBe('A=1\nB=é\n');
    expect(() => readRegularFile(f, { max: 4 })).toThrow(expect.objectContaining({ reason: 'too-large' }));
  });

  it('refuses a FIFO at once instead of waiting for a writer', () => {
    const fifo = path.join(t.dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const err = (() => {
      try {
        readRegularFile(fifo, { max: 100 });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(NotRegularFileError);
    expect(err).toMatchObject({ reason: 'not-regular' });
  });

  it.runIf(HAS_PROC)('a file that says 0 bytes (/proc) is read up to the limit, never past it', () => {
    // /proc/self/maps is a regular file of size 0 that holds kilobytes: its size is no bound.
    const whole = fs.readFileSync('/proc/self/maps', 'utf8');
    expect(whole.length).toBeGreaterThan(200);
    expect(() => readRegularFile('/proc/self/maps', { max: 100 })).toThrow(expect.objectContaining({ reason: 'too-large' }));
    expect(readRegularFile('/proc/self/maps', { max: 1 << 20 }).length).toBeGreaterThan(200);
  });
});
