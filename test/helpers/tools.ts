import { execFileSync } from 'node:child_process';

/**
 * Whether a command is on PATH. Tests that need a tool skip when it is missing and say so
 * in their name; `scripts/test-deps.sh` (run by `npm test`) installs the Debian ones.
 */
export function hasTool(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v "$1"`, 'sh', command], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The one-line reason shown when a test is skipped for a missing tool. */
export function needs(command: string, pkg = command): string {
  return hasTool(command) ? '' : ` [skipped: needs ${command}; run scripts/test-deps.sh or apt-get install ${pkg}]`;
}
