import path from 'node:path';
import { execa } from 'execa';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const CLI = path.join(ROOT, 'dist/bin/jobctl.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run the built CLI (`npm run build` first; `npm test` does). */
export async function jobctl(args: string[], opts: { home?: string; cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<CliResult> {
  const r = await execa(process.execPath, [CLI, ...args], {
    cwd: opts.cwd ?? opts.home ?? ROOT,
    env: { NO_COLOR: '1', ...(opts.home ? { JOBCTL_HOME: opts.home } : {}), ...opts.env },
    reject: false,
    timeout: opts.timeoutMs ?? 20_000,
    stdin: 'ignore',
  });
  return { code: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr };
}
