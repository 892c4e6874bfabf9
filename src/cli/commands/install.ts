import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { action, type CliContext } from '../context.js';
import { documentationUri } from '../install/documentation.js';
import { shellQuote } from '../../api/ssh-stream.js';
import { addCronLines, removeCronLines, systemdUnit, systemdUnitName, SYSTEMD_MARKER, type BootstrapTarget } from '../install/units.js';
import { CliError, EXIT } from '../output.js';

function target(ctx: CliContext, user: boolean): BootstrapTarget {
  const documentation = documentationUri();
  return { home: ctx.home(), node: process.execPath, script: fs.realpathSync(process.argv[1]!), user, ...(documentation ? { documentation } : {}) };
}

function unitDir(ctx: CliContext, user: boolean): string {
  if (ctx.env.JOBCTL_SYSTEMD_DIR) return ctx.env.JOBCTL_SYSTEMD_DIR;
  return user ? path.join(os.homedir(), '.config/systemd/user') : '/etc/systemd/system';
}

/** This home's unit file: one per home, so a second home never overwrites the first. */
function unitPath(ctx: CliContext, user: boolean): string {
  return path.join(unitDir(ctx, user), systemdUnitName(ctx.home()));
}

/** The single `jobctl.service` of earlier versions, when it was written for this home. */
function legacyUnitPath(ctx: CliContext, user: boolean): string | undefined {
  const file = path.join(unitDir(ctx, user), 'jobctl.service');
  try {
    const text = fs.readFileSync(file, 'utf8');
    return text.startsWith(SYSTEMD_MARKER) && text.includes(`Description=jobctl job supervisor (${ctx.home()})\n`) ? file : undefined;
  } catch {
    return undefined;
  }
}

/** The crontab command (JOBCTL_CRONTAB overrides it, for tests). */
function crontabCmd(ctx: CliContext): string {
  return ctx.env.JOBCTL_CRONTAB ?? 'crontab';
}

/** `systemctl` or `systemctl --user` as argv (JOBCTL_SYSTEMCTL overrides the binary, for tests). */
function systemctl(ctx: CliContext, user: boolean): string[] {
  return [ctx.env.JOBCTL_SYSTEMCTL ?? 'systemctl', ...(user ? ['--user'] : [])];
}

const NO_CRONTAB = 'crontab not found: install cron (e.g. apt-get install cron) or use `jobctl install systemd`';

/** The current crontab; undefined when there is no `crontab` command and `missingOk` (a dry run). */
async function readCrontab(ctx: CliContext, missingOk: true): Promise<string | undefined>;
async function readCrontab(ctx: CliContext): Promise<string>;
async function readCrontab(ctx: CliContext, missingOk = false): Promise<string | undefined> {
  const { execa } = await import('execa');
  const r = await execa(crontabCmd(ctx), ['-l'], { reject: false });
  if (r.failed && (r as { code?: string }).code === 'ENOENT') {
    if (missingOk) return undefined;
    throw new CliError(NO_CRONTAB);
  }
  if (r.exitCode === 0) return String(r.stdout).endsWith('\n') || r.stdout === '' ? String(r.stdout) : `${r.stdout}\n`;
  if (/no crontab/i.test(String(r.stderr))) return '';
  throw new CliError(`crontab -l failed: ${String(r.stderr).trim()}`);
}

async function writeCrontab(ctx: CliContext, text: string): Promise<void> {
  const { execa } = await import('execa');
  const r = await execa(crontabCmd(ctx), ['-'], { input: text, reject: false });
  if (r.exitCode !== 0) throw new CliError(`crontab - failed: ${String(r.stderr).trim()}`);
}

/** Run one systemctl command; a failure (no systemd here, unit not loaded) is a note, not an error. */
async function runSystemctl(ctx: CliContext, argv: string[]): Promise<void> {
  const { execa } = await import('execa');
  const r = await execa(argv[0]!, argv.slice(1), { reject: false, stdin: 'ignore' });
  const shown = quoteArgv(argv).replace(ctx.env.JOBCTL_SYSTEMCTL ?? '\0', 'systemctl');
  if (r.exitCode === 0) ctx.io.out(`ran: ${shown}`);
  else ctx.io.err(`jobctl: note: \`${shown}\` failed (${(r as { code?: string }).code === 'ENOENT' ? 'no systemctl here' : String(r.stderr).trim().split('\n')[0] || `exit ${r.exitCode}`}); continuing`);
}

const quoteArgv = (argv: string[]) => argv.map(shellQuote).join(' ');

export function registerInstall(program: Command, ctx: CliContext): void {
  program
    .command('install')
    .argument('<how>', 'systemd or cron')
    .description('start the daemon at boot: a systemd unit, or @reboot + every-5-minutes lines in crontab')
    .option('--user', 'systemd: a user unit (~/.config/systemd/user) instead of a system one')
    .option('--dry-run', 'print what would be written and run; change nothing')
    .addHelpText('after', '\nExamples:\n  sudo jobctl --home /srv/jobs install systemd\n  jobctl install systemd --user --dry-run\n  jobctl install cron')
    .action(action(ctx, async (how: string, opts: { user?: boolean; dryRun?: boolean }) => {
      const t = target(ctx, Boolean(opts.user));
      if (how === 'systemd') {
        const file = unitPath(ctx, t.user);
        if (fs.existsSync(file) && !fs.readFileSync(file, 'utf8').startsWith(SYSTEMD_MARKER)) {
          throw new CliError(`${file} exists and was not written by jobctl; move it away first`);
        }
        const sc = t.user ? 'systemctl --user' : 'systemctl';
        const unit = shellQuote(path.basename(file));
        const next = `  ${sc} daemon-reload && ${sc} enable --now ${unit}${t.user ? '\n(for a user unit to run without a login: loginctl enable-linger $USER)' : ''}`;
        const legacy = legacyUnitPath(ctx, t.user);
        const legacyNote = legacy ? `\nnote: ${legacy} (one unit for every home, from an earlier jobctl) also starts this home: remove it with \`${sc} disable --now jobctl && rm ${legacy}\`` : '';
        if (opts.dryRun) {
          ctx.io.out(`would write ${file}:\n${systemdUnit(t)}\nthen you would run:\n${next}${legacyNote}\n(dry run: nothing written)`);
          return EXIT.OK;
        }
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, systemdUnit(t));
        ctx.io.out(`wrote ${file}\nenable and start it with:\n${next}${legacyNote}`);
        return EXIT.OK;
      }
      if (how === 'cron') {
        if (opts.dryRun) {
          // A dry run shows the lines whether or not this host has a crontab command.
          const before = await readCrontab(ctx, true);
          const after = addCronLines(before ?? '', t);
          ctx.io.out(before === undefined
            ? `would add to your crontab:\n${after}(dry run: nothing written; note: ${NO_CRONTAB})`
            : `would set your crontab (\`crontab -\`) to:\n${after}(dry run: nothing written)`);
          return EXIT.OK;
        }
        const after = addCronLines(await readCrontab(ctx), t);
        await writeCrontab(ctx, after);
        ctx.io.out(`added to your crontab: start at boot (@reboot) and every 5 minutes if not running, for ${t.home}\nremove with: jobctl uninstall cron`);
        return EXIT.OK;
      }
      throw new CliError(`unknown method "${how}"; use systemd or cron`, EXIT.USAGE);
    }));

  program
    .command('uninstall')
    .argument('<how>', 'systemd or cron')
    .description('undo `jobctl install`: systemd: disable and stop the unit, then remove it; cron: remove its lines')
    .option('--user', 'systemd: the user unit')
    .option('--dry-run', 'print what would be run and removed; change nothing')
    .action(action(ctx, async (how: string, opts: { user?: boolean; dryRun?: boolean }) => {
      if (how === 'systemd') {
        const user = Boolean(opts.user);
        const own = unitPath(ctx, user);
        // This home's unit; else the one `jobctl.service` an earlier version wrote for this home.
        const file = fs.existsSync(own) ? own : legacyUnitPath(ctx, user) ?? own;
        if (!fs.existsSync(file)) {
          ctx.io.out(`nothing to remove: ${file} does not exist`);
          return EXIT.OK;
        }
        if (!fs.readFileSync(file, 'utf8').startsWith(SYSTEMD_MARKER)) throw new CliError(`${file} was not written by jobctl; left alone`);
        const disable = [...systemctl(ctx, user), 'disable', '--now', path.basename(file)];
        const reload = [...systemctl(ctx, user), 'daemon-reload'];
        if (opts.dryRun) {
          ctx.io.out(`would run: ${quoteArgv(disable)}\nwould remove ${file}\nwould run: ${quoteArgv(reload)}\n(dry run: nothing changed)`);
          return EXIT.OK;
        }
        // Stop it first: a removed unit file whose service still runs is a daemon nobody manages.
        await runSystemctl(ctx, disable);
        fs.rmSync(file);
        ctx.io.out(`removed ${file}`);
        await runSystemctl(ctx, reload);
        return EXIT.OK;
      }
      if (how === 'cron') {
        const before = await readCrontab(ctx);
        const after = removeCronLines(before, ctx.home());
        if (after === before) {
          ctx.io.out('nothing to remove: no jobctl lines for this home in your crontab');
          return EXIT.OK;
        }
        if (opts.dryRun) {
          ctx.io.out(`would set your crontab (\`crontab -\`) to:\n${after}${after.endsWith('\n') || after === '' ? '' : '\n'}(dry run: nothing written)`);
          return EXIT.OK;
        }
        await writeCrontab(ctx, after);
        ctx.io.out(`removed the jobctl lines for ${ctx.home()} from your crontab`);
        return EXIT.OK;
      }
      throw new CliError(`unknown method "${how}"; use systemd or cron`, EXIT.USAGE);
    }));
}
