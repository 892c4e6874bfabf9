import { describe, expect, it } from 'vitest';
import { nextLogSelection } from '../../src/tui/hooks/use-log-target.js';
import { cleanLine, findLine, logRows, matchRanges, wrapLine } from '../../src/tui/log-layout.js';
import { shortTime } from '../../src/tui/top/log-pane.js';

describe('log layout', () => {
  const lines = ['one', 'a'.repeat(25), 'tab\there', 'last'];

  it('wraps long lines into rows of the width, bottom-aligned; cut lines start at the offset', () => {
    expect(logRows(lines, { body: 5, width: 10, scroll: 0, wrap: true, hOffset: 0 }).map((r) => r.text)).toEqual(['aaaaaaaaaa', 'aaaaaaaaaa', 'aaaaa', 'tab  here', 'last']);
    expect(logRows(lines, { body: 2, width: 10, scroll: 1, wrap: true, hOffset: 0 }).map((r) => [r.line, r.text])).toEqual([[1, 'aaaaa'], [2, 'tab  here']]);
    expect(logRows(lines, { body: 4, width: 4, scroll: 0, wrap: false, hOffset: 3 }).map((r) => r.text)).toEqual(['', 'aaaa', '  he', 't']);
  });

  it('finds the newest match at or above a line, then older (n) or newer (N) ones, in any case', () => {
    const log = ['x ERROR', 'ok', 'error y', 'ok'];
    expect(findLine(log, 'error', 3, -1, true)).toBe(2);
    expect(findLine(log, 'error', 2, -1)).toBe(0);
    expect(findLine(log, 'error', 0, -1)).toBeUndefined();
    expect(findLine(log, 'error', 0, 1)).toBe(2);
    expect(matchRanges('Error, error', 'ERROR')).toEqual([[0, 5], [7, 12]]);
  });

  it('[ and ]: cron runs from the newest back, not round; daemon instances round', () => {
    expect(nextLogSelection('cron', -1, 3, -1)).toBe(0); // [ from the latest: the newest run
    expect(nextLogSelection('cron', 2, 3, -1)).toBe(2); // the oldest stays the oldest
    expect(nextLogSelection('cron', 0, 3, 1)).toBe(-1); // ] past the newest: the latest runs
    expect(nextLogSelection('cron', -1, 3, 1)).toBe(-1);
    expect(nextLogSelection('service', -1, 2, -1)).toBe(1);
    expect(nextLogSelection('service', 1, 2, 1)).toBe(-1);
  });

  it('top\'s log pane shows the time of day of a timestamped line', () => {
    expect(shortTime('2026-12-04T07:07:54.013Z #0 [out] working')).toBe('07:07:54 #0 [out] working');
    expect(shortTime('no time here')).toBe('no time here');
  });
});

describe('log lines from a task are text, whatever bytes it writes', () => {
  it('drops whole escape sequences (colors, titles, cursor moves) and C1 controls, not only ESC', () => {
    expect(cleanLine('\x1b[31mred\x1b[0m plain')).toBe('red plain');
    expect(cleanLine('a \x1b]0;PWNED\x07b \x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\ c')).toBe('a b link c');
    expect(cleanLine('\x1b[2J\x1b[Hcleared \x1b[5;5Hmoved \x1b[?1049h alt')).toBe('cleared moved  alt');
    // C1 controls, as UTF-8 (U+009B is CSI to a terminal that honours 8-bit controls)
    expect(cleanLine('x \u009b31m y \u009d0;T\u0007 z\u0085')).toBe('x  y  z');
    expect(cleanLine('bin \u0001\u0002\u007f done\ttab')).toBe('bin  done  tab');
  });

  it('wraps and cuts by terminal columns: a wide character takes two', () => {
    const wide = '漢字'.repeat(10); // 20 characters, 40 columns
    expect(wrapLine(wide, 10)).toEqual(['漢字漢字漢', '字漢字漢字', '漢字漢字漢', '字漢字漢字']);
    expect(wrapLine(`ab${'字'.repeat(5)}`, 5)).toEqual(['ab字', '字字', '字字']);
    expect(logRows([wide], { body: 2, width: 8, scroll: 0, wrap: false, hOffset: 4 }).map((r) => r.text)).toEqual(['漢字漢字']);
  });

  it('searches the text as shown: colors do not hide a match', () => {
    expect(findLine(['x', '\x1b[31mERROR\x1b[0m: disk', 'y'], 'error: disk', 2, -1, true)).toBe(1);
  });
});
