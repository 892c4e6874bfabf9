import { describe, expect, it } from 'vitest';
import { instanceTagger, prefixed, taskColor, taskPrefixer } from '../../src/cli/log-prefix.js';
import { splitInstanceTag, tagInstance } from '../../src/shared/log-line.js';

describe('log line prefixes', () => {
  it('instance tags go after the timestamp (stamped) or first (raw), and come back out', () => {
    expect(tagInstance('2026-11-21T08:00:00.000Z [out] hi', 1)).toBe('2026-11-21T08:00:00.000Z #1 [out] hi');
    expect(tagInstance('raw', 0)).toBe('#0 raw');
    expect(splitInstanceTag('2026-11-21T08:00:00.000Z #1 [out] hi')).toEqual({ instance: 1, line: '2026-11-21T08:00:00.000Z [out] hi' });
    expect(splitInstanceTag('#3 raw')).toEqual({ instance: 3, line: 'raw' });
    expect(splitInstanceTag('plain')).toEqual({ line: 'plain' });
  });

  it('every task\'s lines: task[#instance] | line, with a stable color per task', () => {
    expect(prefixed('w', ['2026-11-21T08:00:00.000Z #1 [out] hi', 'raw'], false)).toEqual([
      { at: Date.parse('2026-11-21T08:00:00.000Z'), text: 'w#1 | 2026-11-21T08:00:00.000Z [out] hi' },
      { at: -1, text: 'w | raw' },
    ]);
    expect(taskColor('worker')).toBe(taskColor('worker'));
    const codes: Record<string, number> = { cyan: 36, green: 32, yellow: 33, magenta: 35, blue: 34, red: 31 };
    expect(prefixed('w', ['x'], true)[0]!.text).toBe(`\u001b[${codes[taskColor('w')]}mw\u001b[0m | x`);
  });

  it('streamed text is rewritten whole line by whole line, per subscription and instance', () => {
    const p = taskPrefixer(new Map([[7, 'web'], [8, 'tick']]), false);
    expect(p.feed('a\nb', { subscription: 7, instance: 0 })).toBe('web#0 | a\n');
    expect(p.feed('x\n', { subscription: 8 })).toBe('tick | x\n');
    expect(p.feed('c\n', { subscription: 7, instance: 1 })).toBe('web#1 | c\n');
    expect(p.feed('-end\n', { subscription: 7, instance: 0 })).toBe('web#0 | b-end\n');
    const t = instanceTagger();
    expect(t.feed('2026-11-21T08:00:00.000Z [out] a\n2026-11-21T08:00:00.001Z [o', { subscription: 1, instance: 2 })).toBe('2026-11-21T08:00:00.000Z #2 [out] a\n');
    expect(t.feed('ut] b\n', { subscription: 1, instance: 2 })).toBe('2026-11-21T08:00:00.001Z #2 [out] b\n');
  });
});
