import { Command, CommanderError } from 'commander';
import { COMMANDS } from './commands/index.js';
import { expandKillShorthand } from './commands/run.js';
import { LOCAL_ONLY, makeContext, runThereCommand } from './context.js';
import { CliError, EXIT, processIo, reportError, type Io } from './output.js';
import { VERSION } from '../shared/version.js';

export interface RunOptions {
  io?: Io;
  runDaemon?: (home: string) => Promise<number>;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Build the program and run one command line; resolves to the exit code. */
export async function runCli(argv: string[], options: RunOptions = {}): Promise<number> {
  const io = options.io ?? processIo();
  const program = new Command('jobctl');
  const ctx = makeContext(program, io, options.env ?? process.env, options.cwd ?? process.cwd(), options.runDaemon);
  program
    .description('jobctl: cron tasks and long-running workers from one directory of YAML files')
    .version(VERSION, '-V, --version')
    .option('--home <dir>', 'runtime directory with tasks/ and state/ (env JOBCTL_HOME; default: ./ if it has tasks/, else ~/.jobctl)')
    .option('--host <ssh://[user@]host[:port][/home]>', "talk to the daemon on another host over the system ssh (env JOBCTL_HOST; 'local' for this host)")
    .showSuggestionAfterError(true)
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .exitOverride();

  for (const register of COMMANDS) register(program, ctx);
  program.hook('preAction', (_root, cmd) => {
    const remote = ctx.remote();
    if (remote && LOCAL_ONLY.has(cmd.name())) {
      throw new CliError(`\`jobctl ${cmd.name()}\` works on this host's files, not over --host; run it there: ${runThereCommand(remote, argv)}`, EXIT.USAGE);
    }
  });

  try {
    await program.parseAsync(expandKillShorthand(argv), { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT.OK;
      return EXIT.USAGE;
    }
    return reportError(io, e);
  }
  return ctx.exitCode;
}
