import type { Command } from 'commander';
import { bridgeStdio } from '../../api/stdio-bridge.js';
import { OPERATOR_NAME_HINT, OPERATOR_NAME_RE } from '../../config/host/access.js';
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
      await bridgeStdio(homePaths(ctx.home()).socket, process.stdin, process.stdout, as);
      return EXIT.OK;
    }));
}
