/** What `jobctl install` writes: a systemd unit and crontab lines. Pure. */

export interface BootstrapTarget {
  home: string;
  /** Absolute node binary and jobctl entry script. */
  node: string;
  script: string;
  user: boolean;
  /** `Documentation=` of the unit (install/documentation.ts); none: the line is left out. */
  documentation?: string;
}

/** Node flags for the daemon: an idle supervisor needs no 16 MB young generation (~10 MB less RSS). */
export const DAEMON_NODE_FLAGS = ['--max-semi-space-size=1'];

export const SYSTEMD_MARKER = '# Installed by `jobctl install systemd`; remove with `jobctl uninstall systemd`.';

/** A word for sh (the crontab's command): double quotes, with what sh expands inside them escaped. */
const quote = (s: string) => (/^[A-Za-z0-9_./:=@-]+$/.test(s) ? s : `"${s.replace(/(["\\$`])/g, '\\$1')}"`);

/**
 * Values in a unit file, as systemd reads them (src/core/load-fragment.c at systemd main):
 * every value passes through the specifier expansion (`unit_full_printf`, `unit_path_printf`,
 * `unit_env_printf`), where a literal `%` is `%%`. `Environment=` and `ExecStart=` are then
 * split into words (`extract_first_word` with EXTRACT_UNQUOTE|EXTRACT_CUNESCAPE): double
 * quotes with C escapes, where `\$` or a backtick escape is invalid and drops the whole line;
 * `ExecStart=` expands `$NAME` in its arguments at start, a literal `$` being `$$` (not in the
 * executable's path, which is taken as written and may not hold quotes or backslashes). `WorkingDirectory=`
 * (`config_parse_working_directory`) is not unquoted: the path as it is, a quote would make it
 * relative and fail the unit. `Documentation=` is a list of URLs split the same way: a `'`
 * (which a file URL keeps) is written `%27`.
 */
const unitText = (s: string) => s.replace(/%/g, '%%');
const unitWord = (s: string) => {
  const t = unitText(s);
  return /^[A-Za-z0-9_./:=@+-]+$/.test(t) ? t : `"${t.replace(/["\\]/g, '\\$&').replace(/\n/g, '\\n')}"`;
};
const execArg = (s: string) => unitWord(s.replace(/\$/g, '$$$$'));

/**
 * A path escaped for a unit name as `systemd-escape --path` does (systemd.unit(5), "String
 * Escaping for Inclusion in Unit Names"; src/basic/unit-name.c do_escape): duplicate and outer
 * slashes dropped, "/" -> "-", a leading "." and every byte but ASCII letters, digits, ":", "_"
 * and "." -> `\xNN` (lowercase hex, "-" included); the root is "-".
 */
export function systemdEscapePath(p: string): string {
  const trimmed = p.split('/').filter((s) => s !== '' && s !== '.').join('/');
  if (trimmed === '') return '-';
  const hex = (b: number) => `\\x${b.toString(16).padStart(2, '0')}`;
  let out = '';
  const bytes = Buffer.from(trimmed, 'utf8');
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    const c = String.fromCharCode(b);
    if (c === '/') out += '-';
    else if (i === 0 && c === '.') out += hex(b);
    else if (/^[A-Za-z0-9:_.]$/.test(c)) out += c;
    else out += hex(b);
  }
  return out;
}

/** systemd refuses a unit name of this many characters or more (UNIT_NAME_MAX, src/basic/unit-name.h). */
const UNIT_NAME_MAX = 256;

/**
 * The unit of one home: `jobctl-<escaped home>.service`, so each home has its own
 * (/srv/jobs -> jobctl-srv-jobs.service). An escaped home too long for a unit name (a deep
 * path, or one in a script other than Latin: 4 characters a byte) is cut, at an escape's
 * boundary, and ends in `_` and 16 hex digits of the home's hash, the shape systemd gives its
 * own long names (unit_name_hash_long), so two long homes still get two units.
 */
export function systemdUnitName(home: string): string {
  const full = `jobctl-${systemdEscapePath(home)}.service`;
  if (full.length < UNIT_NAME_MAX) return full;
  // node:crypto on use: every command imports this module (up: DAEMON_NODE_FLAGS), few hash.
  const hash = process.getBuiltinModule('node:crypto').createHash('sha256').update(home).digest('hex').slice(0, 16);
  let head = full.slice(0, UNIT_NAME_MAX - 1 - '.service'.length - hash.length - 1);
  // Not in the middle of a \xNN.
  const cut = head.lastIndexOf('\\');
  if (cut >= head.length - 3) head = head.slice(0, cut);
  return `${head}_${hash}.service`;
}

export function systemdUnit(t: BootstrapTarget): string {
  // The user manager has no network-online.target: order on it only in a system unit.
  const network = t.user ? '' : 'After=network-online.target\nWants=network-online.target\n';
  return `${SYSTEMD_MARKER}
[Unit]
Description=jobctl job supervisor (${unitText(t.home)})
${t.documentation ? `Documentation=${unitText(t.documentation.replace(/'/g, '%27'))}\n` : ''}${network}
[Service]
Type=simple
Environment=${unitWord(`JOBCTL_HOME=${t.home}`)}
WorkingDirectory=${unitText(t.home)}
ExecStart=${unitWord(t.node)} ${DAEMON_NODE_FLAGS.join(' ')} ${execArg(t.script)} daemon
ExecReload=/bin/kill -HUP $MAINPID
# The daemon stops its own tasks (stop_signal, stop_timeout) on SIGTERM: signal only it,
# and SIGKILL whatever is left of the cgroup only after TimeoutStopSec.
KillMode=mixed
# Hand the service's cgroup subtree to the daemon: each task instance and cron run gets its
# own cgroup (stop kills all of it, setsid'd grandchildren included; \`limits:\` apply).
Delegate=yes
TimeoutStopSec=120
Restart=on-failure
RestartSec=2

[Install]
WantedBy=${t.user ? 'default.target' : 'multi-user.target'}
`;
}

/**
 * cron turns a `%` of a command into a newline, and what follows into its stdin, unless it
 * is written `\\%` (crontab(5); cronie src/do_command.c drops the backslash before a `%`).
 */
const cronText = (s: string) => s.replace(/%/g, '\\%');

export function cronMarker(home: string): string {
  return `# jobctl:${cronText(home)}`;
}

/** `@reboot` start, plus a "start if not running" every 5 minutes (`jobctl up` is idempotent). */
export function cronLines(t: BootstrapTarget): string[] {
  const cmd = cronText(`JOBCTL_HOME=${quote(t.home)} ${quote(t.node)} ${quote(t.script)} up >/dev/null 2>&1`);
  const marker = cronMarker(t.home);
  return [`@reboot ${cmd} ${marker}`, `*/5 * * * * ${cmd} ${marker}`];
}

/** The crontab with our lines added (replacing any earlier ones for this home). */
export function addCronLines(crontab: string, t: BootstrapTarget): string {
  const kept = removeCronLines(crontab, t.home);
  const base = kept === '' || kept.endsWith('\n') ? kept : `${kept}\n`;
  return `${base}${cronLines(t).join('\n')}\n`;
}

/** The crontab without the lines `install cron` added for this home. */
export function removeCronLines(crontab: string, home: string): string {
  const marker = cronMarker(home);
  return crontab.split('\n').filter((l) => !l.endsWith(` ${marker}`)).join('\n');
}
