import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * The runtime directory (DESIGN.md "Runtime directory"): `--home`, else `JOBCTL_HOME`,
 * else the current directory when it has `tasks/`, else `~/.jobctl`.
 */
export function resolveHome(flag?: string, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  if (flag) return path.resolve(cwd, flag);
  if (env.JOBCTL_HOME) return path.resolve(cwd, env.JOBCTL_HOME);
  if (fs.existsSync(path.join(cwd, 'tasks'))) return cwd;
  return path.join(os.homedir(), '.jobctl');
}
