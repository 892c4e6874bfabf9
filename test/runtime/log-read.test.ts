import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TAIL_BUDGET_BYTES, tailLines, tailRotated } from '../../src/runtime/log-read.js';
import { tempDirs } from '../helpers/temp.js';

const temps = tempDirs();
afterAll(() => temps.cleanup());

describe('tail of log files', () => {
  it('the last n lines, across chunk borders, with or without a final newline', () => {
    const f = path.join(temps.dir(), 'a.log');
    const lines = Array.from({ length: 5000 }, (_, i) => `line ${i} ${'x'.repeat(i % 97)}`);
    fs.writeFileSync(f, lines.join('\n') + '\n');
    expect(tailLines(f, 3)).toEqual(lines.slice(-3));
    expect(tailLines(f, 4000)).toEqual(lines.slice(-4000));
    expect(tailLines(f, 10_000)).toEqual(lines);
    fs.writeFileSync(f, 'a\n\nb');
    expect(tailLines(f, 10)).toEqual(['a', '', 'b']);
    expect(tailLines(f, 2)).toEqual(['', 'b']);
  });

  it('-n 100000 over 40 rotated files of 64 KiB lines reads at most the budget and answers the newest lines', () => {
    const dir = temps.dir();
    const file = path.join(dir, '0.log');
    const line = (i: number) => `${String(i).padStart(8, '0')} ${'y'.repeat(64 * 1024)}`;
    let k = 0;
    for (let r = 40; r >= 0; r--) {
      const body = Array.from({ length: 40 }, () => line(k++)).join('\n') + '\n'; // ~2.6 MB per file, ~105 MB in all
      fs.writeFileSync(r === 0 ? file : `${file}.${r}`, body);
    }
    const heapBefore = process.memoryUsage().rss;
    const r = tailRotated(file, 100_000);
    expect(process.memoryUsage().rss - heapBefore).toBeLessThan(64 * 1024 * 1024);
    expect(r.capped).toBe(true);
    const bytes = r.lines.reduce((a, l) => a + l.length + 1, 0);
    expect(bytes).toBeLessThanOrEqual(TAIL_BUDGET_BYTES);
    expect(r.lines.length).toBeGreaterThan(0);
    expect(r.lines.at(-1)).toBe(line(k - 1));
    // Whole lines only, newest last and in order.
    const nums = r.lines.map((l) => Number(l.slice(0, 8)));
    expect(nums).toEqual(nums.map((_, i) => k - nums.length + i));
    expect(r.lines.every((l) => l.length === line(0).length)).toBe(true);
  });
});
