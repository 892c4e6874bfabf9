import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The root of this installation (the directory holding jobctl's package.json) seen from a module's
 * directory, wherever the build put that module: `src/x/y`, `dist/x/y`, or a bundle's
 * `dist/daemon-bundle` / `dist/cli-bundle` one or two levels up. A path such as
 * `../../../package.json` holds only at the depth the module was written at; a bundle moves it.
 */
export function packageRootFrom(dir: string): string {
  for (let d = dir; ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, 'package.json')) || path.dirname(d) === d) return d;
  }
}

/** `packageRootFrom` for a module's `import.meta.url`. */
export function packageRootOf(moduleUrl: string): string {
  return packageRootFrom(path.dirname(fileURLToPath(moduleUrl)));
}
