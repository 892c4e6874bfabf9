import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** How the home was chosen, as the user would write it. */
export type HomeSource = '--home' | '$JOBCTL_HOME' | './tasks' | '~/.jobctl';

export interface ResolvedHome {
  home: string;
  source: HomeSource;
}

/**
 * The runtime directory (DESIGN.md "Runtime directory"): `--home`, else `JOBCTL_HOME`,
 * else the current directory when it has `tasks/`, else `~/.jobctl`; with how it was chosen.
 */
export function resolveHomeWithSource(flag?: string, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): ResolvedHome {
  if (flag) return { home: path.resolve(cwd, flag), source: '--home' };
  if (env.JOBCTL_HOME) return { home: path.resolve(cwd, env.JOBCTL_HOME), source: '$JOBCTL_HOME' };
  if (fs.existsSync(path.join(cwd, 'tasks'))) return { home: cwd, source: './tasks' };
  return { home: path.join(os.homedir(), '.jobctl'), source: '~/.jobctl' };
}

export function resolveHome(flag?: string, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  return resolveHomeWithSource(flag, env, cwd).home;
}

/** `/srv/jobs (from --home)`: where a command looked, for messages. */
export function describeHome(h: ResolvedHome): string {
  const why = h.source === './tasks' ? 'the current directory has tasks/' : h.source === '~/.jobctl' ? 'the default: no --home, no $JOBCTL_HOME, no ./tasks' : `from ${h.source}`;
  return `${h.home} (${why})`;
}
