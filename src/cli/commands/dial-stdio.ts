import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { bridgeStdio } from '../../api/stdio-bridge.js';
import { JobctlError } from '../../shared/errors.js';
import { OPERATOR_NAME_HINT, OPERATOR_NAME_RE } from '../../shared/names.js';
import { homePaths } from '../../shared/paths.js';
import { action, type CliContext } from '../context.js';
import { CliError, EXIT } from '../output.js';

/** The far end of `--host ssh://…`: ssh runs this, and it carries the protocol to the local socket. */
export function registerDialStdio(program: Command, ctx: CliContext): void {
  program
    .command('dial-stdio')
    .description("bridge stdin/stdout to this host's daemon socket (what `--host ssh://…` runs on the far side)")
    .option('--as <operator>', 'the operator this connection is (access: in jobctl.yaml); for the forced command of an SSH key')
    .addHelpText('after', [
      '',
      'You do not run this by hand: `jobctl --host ssh://user@host/home status` runs',
      '`ssh user@host jobctl dial-stdio --home /home` and talks to the daemon through it.',
      '',
      'Rights per operator: give each operator\'s key a forced command in ~/.ssh/authorized_keys:',
      '  command="jobctl dial-stdio --home /srv/jobs --as alice",restrict ssh-ed25519 AAAA… alice@laptop',
      'and alice\'s role in jobctl.yaml (access:). A key without a forced command is admin (docs/access.md).',
    ].join('\n'))
    .action(action(ctx, async (opts: { as?: string }) => {
      if (opts.as !== undefined && !OPERATOR_NAME_RE.test(opts.as)) throw new CliError(`--as "${opts.as}": ${OPERATOR_NAME_HINT}`, EXIT.USAGE);
      // sshd sets these for the forced command: where the operator connects from, for the audit trail.
      const from = ctx.env.SSH_CONNECTION || ctx.env.SSH_CLIENT || undefined;
      const as = opts.as === undefined ? undefined : { operator: opts.as, ...(from ? { from } : {}) };
      const home = ctx.home();
      const asked = homeAsked(ctx.env.SSH_ORIGINAL_COMMAND);
      if (asked !== undefined && path.resolve(asked) !== path.resolve(home)) {
        throw new CliError(`this SSH key's forced command serves the home ${home}; the address asked for ${asked}: use ssh://…${home} (a key's forced command fixes its home; docs/access.md)`, EXIT.USAGE);
      }
      try {
        await bridgeStdio(homePaths(home).socket, process.stdin, process.stdout, as);
      } catch (e) {
        throw noHomeError(home) ?? e;
      }
      return EXIT.OK;
    }));
}

/**
 * The home a client asked for when sshd ran this as a key's forced command: sshd(8) runs the
 * `command="…"` of authorized_keys instead of the client's command ("The command supplied by
 * the user (if any) is ignored") and puts the client's in SSH_ORIGINAL_COMMAND. The client's
 * command is what `--host ssh://host/HOME` sends: `jobctl dial-stdio --home HOME` (quoted as
 * api/ssh-stream.ts quotes it). Undefined: no forced command, or the client named no home.
 */
export function homeAsked(original: string | undefined): string | undefined {
  if (!original) return undefined;
  const words: string[] = [];
  for (const m of original.matchAll(/'((?:[^']|'\\'')*)'|(\S+)/g)) words.push(m[1] !== undefined ? m[1].replace(/'\\''/g, "'") : m[2]!);
  if (!words.includes('dial-stdio')) return undefined;
  const flag = words.indexOf('--home');
  if (flag !== -1) return words[flag + 1];
  return words.find((w) => w.startsWith('--home='))?.slice('--home='.length);
}

/** No daemon because there is no home at all: say so (the caller sees it through ssh), not "start it with `jobctl up`". */
export function noHomeError(home: string): JobctlError | undefined {
  const has = (p: string) => fs.existsSync(path.join(home, p));
  if (has('tasks') || has('state') || has('jobctl.yaml')) return undefined;
  const what = fs.existsSync(home) ? `${home} has no tasks/ or state/` : `${home} does not exist`;
  return new JobctlError('DAEMON_UNREACHABLE', `no jobctl home at ${home} on ${os.hostname()} (${what}): make one there with \`jobctl init ${home}\`, or name an existing home in the address (ssh://host/path/to/home)`);
}
