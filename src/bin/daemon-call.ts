/**
 * `jobctl daemon` as `jobctl up` and the systemd unit write it — `daemon`, with at most one
 * `--home DIR` (or `--home=DIR`) before or after — is run without the CLI: the resident daemon
 * then holds none of the CLI's modules (commander and ~40 files, ~1.5 MB). Returns the `--home`
 * given (undefined: none) for such a call, null for any other command line (`daemon --help`, a typo,
 * more options, JOBCTL_HOST set), which the CLI parses as always.
 */
export function plainDaemonCall(args: readonly string[], env: NodeJS.ProcessEnv = process.env): { home: string | undefined } | null {
  // JOBCTL_HOST naming a host: the CLI says `daemon` runs on this host only.
  if (env.JOBCTL_HOST) return null;
  let home: string | undefined;
  let daemon = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === 'daemon' && !daemon) daemon = true;
    else if (a === '--home' && home === undefined && i + 1 < args.length && args[i + 1] !== '') home = args[++i];
    else if (a.startsWith('--home=') && home === undefined && a.length > '--home='.length) home = a.slice('--home='.length);
    else return null;
  }
  return daemon ? { home } : null;
}
