/**
 * Color support of a terminal, decided in one place for the CLI, the TUI and `top`.
 * 0 none, 1 16 colors, 2 256 colors, 3 truecolor (chalk's levels).
 *
 * In order: NO_COLOR (set and non-empty) -> 0; FORCE_COLOR (`0`/`false` -> 0, empty/`true`
 * -> 1, else 1..3) wins over everything after it; not a terminal or TERM=dumb -> 0; else
 * from COLORTERM/TERM. `CI` is not consulted: a run in a terminal is a terminal, and
 * `CI=false` / `CI=0` (which chalk counted as CI, so the TUI had no color) mean "not CI".
 */
export type ColorLevel = 0 | 1 | 2 | 3;

export function colorLevel(env: Record<string, string | undefined>, isTTY: boolean): ColorLevel {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return 0;
  const force = env.FORCE_COLOR;
  if (force !== undefined) {
    if (force === '0' || force === 'false') return 0;
    if (force === '' || force === 'true') return 1;
    const n = Number.parseInt(force, 10);
    return Number.isNaN(n) ? 1 : (Math.min(Math.max(n, 1), 3) as ColorLevel);
  }
  if (!isTTY || env.TERM === 'dumb') return 0;
  if (env.COLORTERM === 'truecolor' || env.COLORTERM === '24bit') return 3;
  if (/-256(color)?$/i.test(env.TERM ?? '')) return 2;
  return 1;
}

/** Whether an environment variable such as CI is set to a true value (`false`, `0` and empty are not). */
export function envFlag(env: Record<string, string | undefined>, key: string): boolean {
  const v = env[key];
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

/**
 * Before Ink or blessed load on a real terminal: Ink draws only its last frame when it
 * thinks it runs in CI, and chalk turns colors off whenever `CI` is present at all. Both
 * are told the truth: CI variables are removed (the user is at a terminal), and the level
 * decided by colorLevel() is passed to chalk as FORCE_COLOR.
 */
export function prepareTerminalEnv(env: Record<string, string | undefined>, isTTY: boolean): ColorLevel {
  const level = colorLevel(env, isTTY);
  delete env.CI;
  delete env.CONTINUOUS_INTEGRATION;
  env.FORCE_COLOR = String(level);
  return level;
}
