import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { registerAdd } from './add.js';
import { registerAudit } from './audit.js';
import { registerCompletion } from './completion.js';
import { registerControl } from './control.js';
import { registerDaemon } from './daemon.js';
import { registerDialStdio } from './dial-stdio.js';
import { registerFleet } from './fleet.js';
import { registerDown } from './down.js';
import { registerHelp } from './help.js';
import { registerHistory } from './history.js';
import { registerInit } from './init.js';
import { registerInstall } from './install.js';
import { registerLogs } from './logs.js';
import { registerNext } from './next.js';
import { registerPlan, registerReload } from './reload.js';
import { registerRm } from './rm.js';
import { registerKill, registerRun } from './run.js';
import { registerNotify, registerScale } from './scale.js';
import { registerStatus } from './status.js';
import { registerTui } from './tui.js';
import { registerUp } from './up.js';
import { registerValidate } from './validate.js';
import { registerWeb } from './web.js';

/** Every command, in the order `jobctl --help` lists them. */
export const COMMANDS: Array<(program: Command, ctx: CliContext) => void> = [
  registerStatus,
  registerControl,
  registerRun,
  registerKill,
  registerLogs,
  registerHistory,
  registerAudit,
  registerScale,
  registerNext,
  registerTui,
  registerWeb,
  registerFleet,
  registerInit,
  registerAdd,
  registerRm,
  registerValidate,
  registerPlan,
  registerReload,
  registerUp,
  registerDown,
  registerDaemon,
  registerNotify,
  registerInstall,
  registerCompletion,
  registerDialStdio,
  registerHelp,
];
