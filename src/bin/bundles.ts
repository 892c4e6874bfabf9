import fs from 'node:fs';

/**
 * The daemon and the CLI each run from a bundle where the build made one
 * (scripts/build-bundles.mjs): one file plus chunks split where the code imports on demand, so a
 * start resolves and reads a handful of files instead of ~100 modules. From the sources (tsx) or
 * with the variable set to `0` they run from the compiled modules, as tests of the modules do.
 */
async function bundleOr<T>(bundle: URL, off: string, modules: () => Promise<T>): Promise<T> {
  if (!import.meta.url.endsWith('.ts') && process.env[off] !== '0' && fs.existsSync(bundle)) return (await import(bundle.href)) as T;
  return modules();
}

/** The daemon's entry: dist/daemon-bundle/entry.js, else dist/daemon/entry.js. `JOBCTL_DAEMON_BUNDLE=0` skips the bundle. */
export function loadDaemonEntry(): Promise<typeof import('../daemon/entry.js')> {
  return bundleOr(new URL('../daemon-bundle/entry.js', import.meta.url), 'JOBCTL_DAEMON_BUNDLE', () => import('../daemon/entry.js'));
}

/** The CLI's program: dist/cli-bundle/program.js, else dist/cli/program.js. `JOBCTL_CLI_BUNDLE=0` skips the bundle. */
export function loadCliProgram(): Promise<typeof import('../cli/program.js')> {
  return bundleOr(new URL('../cli-bundle/program.js', import.meta.url), 'JOBCTL_CLI_BUNDLE', () => import('../cli/program.js'));
}
