import { describe, expect, it } from 'vitest';
import { expandKillShorthand } from '../../src/cli/commands/run.js';
import { normalizeSignal } from '../../src/shared/signals.js';

describe('kill signal forms', () => {
  it('-9, -KILL, -SIGKILL become --signal; other commands and options are left alone', () => {
    expect(expandKillShorthand(['kill', 'w', '-9'])).toEqual(['kill', 'w', '--signal', '9']);
    expect(expandKillShorthand(['--home', '/h', 'kill', '-KILL', 'w'])).toEqual(['--home', '/h', 'kill', '--signal', 'KILL', 'w']);
    expect(expandKillShorthand(['kill', 'w', '-SIGKILL', '--json'])).toEqual(['kill', 'w', '--signal', 'SIGKILL', '--json']);
    expect(expandKillShorthand(['kill', 'w', '-s', 'HUP'])).toEqual(['kill', 'w', '-s', 'HUP']);
    expect(expandKillShorthand(['kill', 'w', '-h'])).toEqual(['kill', 'w', '-h']);
    expect(expandKillShorthand(['logs', 'w', '-9'])).toEqual(['logs', 'w', '-9']);
  });

  it('names and numbers, in any case, with or without SIG', () => {
    for (const v of ['9', '-9', 'KILL', 'kill', 'SIGKILL', 'sigkill', '-KILL']) expect(normalizeSignal(v), v).toBe('SIGKILL');
    expect(normalizeSignal('15')).toBe('SIGTERM');
    expect(normalizeSignal('1')).toBe('SIGHUP');
    expect(normalizeSignal('99')).toBeUndefined();
    expect(normalizeSignal('NOPE')).toBeUndefined();
  });
});
