#!/usr/bin/env node
/**
 * The `jobctl` executable: the CLI, plus `jobctl daemon`, which is the only command that
 * loads daemon code (the CLI itself talks to the daemon through api/client).
 */
import { runCli } from '../cli/program.js';

const code = await runCli(process.argv.slice(2), {
  runDaemon: async (home) => (await import('../daemon/entry.js')).runForeground(home),
});
process.exitCode = code;
