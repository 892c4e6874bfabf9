import { describe, expect, it } from 'vitest';
import { parseDuration, parseSize } from '../../src/config/units.js';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500], ['10s', 10_000], ['5m', 300_000], ['1h30m', 5_400_000], ['1d', 86_400_000],
    ['1.5s', 1500], [10, 10_000], ['10', 10_000], [0.25, 250], ['2h5m10s', 7_510_000], [' 3S ', 3000],
  ] as const)('%s -> %d ms', (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });
  it.each(['10x', '', 'soon', '-5s', '5 s', 'm5', true, null, -1, Number.NaN])('rejects %s', (input) => {
    expect(parseDuration(input)).toBeUndefined();
  });
});

describe('parseSize', () => {
  it.each([
    ['512KB', 512 * 1024], ['100MB', 100 * 1024 ** 2], ['1GB', 1024 ** 3], ['1.5MB', 1.5 * 1024 ** 2],
    [2048, 2048], ['2048', 2048], ['10b', 10], ['64M', 64 * 1024 ** 2], ['1GiB', 1024 ** 3],
  ] as const)('%s -> %d bytes', (input, bytes) => {
    expect(parseSize(input)).toBe(bytes);
  });
  it.each(['lots', '10TB', '', '-1MB', false])('rejects %s', (input) => {
    expect(parseSize(input)).toBeUndefined();
  });
});
