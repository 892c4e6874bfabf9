import { describe, expect, it } from 'vitest';
import { appendKept, KEEP_LINES, splitChunk } from '../../web/src/log-lines.js';

/** The page's live log buffers: bounded however long it is paused and whatever the task writes. */
describe('live log lines', () => {
  it('holds at most the newest KEEP_LINES, shown or paused', () => {
    let held: string[] = [];
    for (let i = 0; i < 3 * KEEP_LINES; i += 100) held = appendKept(held, Array.from({ length: 100 }, (_, j) => `line ${i + j}`));
    expect(held).toHaveLength(KEEP_LINES);
    expect(held[0]).toBe(`line ${2 * KEEP_LINES}`);
    expect(held.at(-1)).toBe(`line ${3 * KEEP_LINES - 1}`);
  });

  it('splits chunks into lines, carries a partial one, and cuts a line that never ends', () => {
    let s = splitChunk('', 'a\nb');
    expect(s).toEqual({ lines: ['a'], carry: 'b' });
    s = splitChunk(s.carry, 'c\n');
    expect(s).toEqual({ lines: ['bc'], carry: '' });
    let carry = '';
    let cut = 0;
    for (let i = 0; i < 100; i++) {
      s = splitChunk(carry, 'x'.repeat(10_000), 64 * 1024);
      carry = s.carry;
      cut += s.lines.length;
      expect(carry.length).toBeLessThanOrEqual(64 * 1024);
    }
    expect(cut).toBe(Math.floor(1_000_000 / (64 * 1024)));
  });
});
