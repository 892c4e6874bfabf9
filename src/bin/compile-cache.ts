import fs from 'node:fs';
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

/**
 * Whether only `uid` (and root) can change what is in `dir` below `home`: made here if missing
 * (0700), then, as OpenSSH's StrictModes checks the path to authorized_keys, every directory from
 * `dir` up to the home is a real directory (no symlink below the home) owned by the user or root
 * and not writable by group or others (unless sticky, as /tmp: others may add entries there, not
 * move ours). Node accepts any cache file whose header matches the source, whoever wrote it: a
 * `.cache` that another user made in a shared home would hand them this user's next command.
 */
export function isPrivateDir(dir: string, home: string, uid: number): boolean {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const realHome = fs.realpathSync(home);
    const real = fs.realpathSync(dir);
    if (real !== path.join(realHome, path.relative(home, dir))) return false;
    for (let d = real; ; d = path.dirname(d)) {
      const st = fs.statSync(d);
      if (st.uid !== uid && st.uid !== 0) return false;
      if ((st.mode & 0o022) !== 0 && (st.mode & 0o1000) === 0) return false;
      if (d === realHome) return true;
      if (path.dirname(d) === d) return false;
    }
  } catch {
    return false; // a read-only or missing home: no cache
  }
}

type Enable = (dir: string) => unknown;

/** Turns the cache on where Node has one and the directory is the user's own; a no-op on Node 20. */
export function enableCompileCache(
  enable = (module as { enableCompileCache?: Enable }).enableCompileCache,
  userInfo: () => { homedir: string } = () => os.userInfo(),
  uid = process.geteuid?.() ?? -1,
): void {
  if (!enable) return;
  const dir = compileCacheDir(userInfo);
  if (dir && isPrivateDir(dir, path.resolve(dir, '../../..'), uid)) enable(dir);
}
