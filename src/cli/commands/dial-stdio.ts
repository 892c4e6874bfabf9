import type { Command } from 'commander';
import { bridgeStdio } from '../../api/stdio-bridge.js';
import { homePaths } from '../../shared/paths.js';
import { action, type CliContext } from '../context.js';
import { EXIT } from '../output.js';

/** The far end of `--host ssh://…`: ssh runs this, and it carries the protocol to the local socket. */
export function registerDialStdio(program: Command, ctx: CliContext): void {
  program
    .command('dial-stdio')
    .description("bridge stdin/stdout to this host's daemon socket (what `--host ssh://…` runs on the far side)")
    .addHelpText('after', '\nYou do not run this by hand: `jobctl --host ssh://user@host/home status` runs\n`ssh user@host jobctl dial-stdio --home /home` and talks to the daemon through it.')
    .action(action(ctx, async () => {
      await bridgeStdio(homePaths(ctx.home()).socket, process.stdin, process.stdout);
      return EXIT.OK;
    }));
}
