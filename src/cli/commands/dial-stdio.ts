import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { bridgeStdio } from '../../api/stdio-bridge.js';
import { JobctlError } from '../../shared/errors.js';
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
      const home = ctx.home();
      try {
        await bridgeStdio(homePaths(home).socket, process.stdin, process.stdout);
      } catch (e) {
        throw noHomeError(home) ?? e;
      }
      return EXIT.OK;
    }));
}

/** No daemon because there is no home at all: say so (the caller sees it through ssh), not "start it with `jobctl up`". */
export function noHomeError(home: string): JobctlError | undefined {
  const has = (p: string) => fs.existsSync(path.join(home, p));
  if (has('tasks') || has('state') || has('jobctl.yaml')) return undefined;
  const what = fs.existsSync(home) ? `${home} has no tasks/ or state/` : `${home} does not exist`;
  return new JobctlError('DAEMON_UNREACHABLE', `no jobctl home at ${home} on ${os.hostname()} (${what}): make one there with \`jobctl init ${home}\`, or name an existing home in the address (ssh://host/path/to/home)`);
}
