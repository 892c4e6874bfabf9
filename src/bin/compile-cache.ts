import module from 'node:module';
import os from 'node:os';
import path from 'node:path';

/**
 * Node ≥ 22.1 keeps the compiled code of the modules a command loads, so the next command starts
 * without compiling them again. The cache is the user's own directory, found in the password
 * database rather than from $HOME (which `sudo` may leave pointing at another user's), and never
 * Node's default under /tmp, which any user could have filled first: compiled code read from there
 * runs as this user. No entry for the uid (a container's arbitrary uid): no cache.
 * NODE_DISABLE_COMPILE_CACHE=1 turns it off (Node's own switch).
 */
export function compileCacheDir(userInfo: () => { homedir: string } = () => os.userInfo()): string | undefined {
  try {
    const home = userInfo().homedir;
    return path.isAbsolute(home) ? path.join(home, '.cache', 'jobctl', 'node-compile-cache') : undefined;
  } catch {
    return undefined;
  }
}

/** Turns the cache on where Node has one; a no-op on Node 20. */
export function enableCompileCache(): void {
  const enable = (module as { enableCompileCache?: (dir?: string) => unknown }).enableCompileCache;
  const dir = enable && compileCacheDir();
  if (enable && dir) enable(dir);
}
