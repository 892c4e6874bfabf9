import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rewriteJsonLines } from '../../src/runtime/jsonl.js';
import { tempDirs } from '../helpers/temp.js';

const temps = tempDirs();
afterAll(temps.cleanup);
const dir = temps.dir;

describe('rewriteJsonLines', () => {
  it('a rewrite that fails leaves no temp file behind (on a full disk it would hold the space)', () => {
    const d = dir();
    const file = path.join(d, 't.jsonl');
    fs.mkdirSync(path.join(file, 'x'), { recursive: true }); // the rename fails
    expect(() => rewriteJsonLines(file, [{ a: 1 }])).toThrow();
    expect(fs.readdirSync(d)).toEqual(['t.jsonl']);
  });
});
