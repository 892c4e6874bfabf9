import { describe, expect, it } from 'vitest';
import { colorLevel, envFlag, prepareTerminalEnv } from '../../src/shared/color.js';

describe('colorLevel', () => {
  const cases: Array<[string, Record<string, string>, boolean, number]> = [
    ['a real terminal', { TERM: 'xterm' }, true, 1],
    ['a 256-color terminal', { TERM: 'tmux-256color' }, true, 2],
    ['truecolor', { TERM: 'xterm-256color', COLORTERM: 'truecolor' }, true, 3],
    ['CI=false on a terminal still has colors', { TERM: 'xterm-256color', CI: 'false' }, true, 2],
    ['CI=0 on a terminal', { TERM: 'xterm', CI: '0' }, true, 1],
    ['CI=true on a terminal: a terminal is a terminal', { TERM: 'xterm', CI: 'true' }, true, 1],
    ['not a terminal', { TERM: 'xterm-256color' }, false, 0],
    ['TERM=dumb', { TERM: 'dumb' }, true, 0],
    ['NO_COLOR', { TERM: 'xterm', NO_COLOR: '1' }, true, 0],
    ['NO_COLOR empty is not set', { TERM: 'xterm', NO_COLOR: '' }, true, 1],
    ['NO_COLOR beats FORCE_COLOR', { NO_COLOR: '1', FORCE_COLOR: '3' }, true, 0],
    ['FORCE_COLOR on a pipe', { FORCE_COLOR: '1' }, false, 1],
    ['FORCE_COLOR=3', { FORCE_COLOR: '3' }, false, 3],
    ['FORCE_COLOR=true', { FORCE_COLOR: 'true' }, false, 1],
    ['FORCE_COLOR empty', { FORCE_COLOR: '' }, false, 1],
    ['FORCE_COLOR=0 on a terminal', { TERM: 'xterm', FORCE_COLOR: '0' }, true, 0],
    ['FORCE_COLOR=false', { TERM: 'xterm', FORCE_COLOR: 'false' }, true, 0],
  ];
  it.each(cases)('%s', (_what, env, tty, level) => {
    expect(colorLevel(env, tty)).toBe(level);
  });

  it('envFlag: false, 0 and empty are not set', () => {
    expect(['false', 'FALSE', '0', ''].map((v) => envFlag({ CI: v }, 'CI'))).toEqual([false, false, false, false]);
    expect(envFlag({ CI: 'true' }, 'CI')).toBe(true);
    expect(envFlag({}, 'CI')).toBe(false);
  });

  it('prepareTerminalEnv removes CI and hands the level to chalk', async () => {
    const env: Record<string, string | undefined> = { TERM: 'xterm-256color', CI: 'false', CONTINUOUS_INTEGRATION: '1' };
    expect(prepareTerminalEnv(env, true)).toBe(2);
    expect(env).toEqual({ TERM: 'xterm-256color', FORCE_COLOR: '2' });
  });
});
