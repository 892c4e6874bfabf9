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

const quote = (s: string) => (/^[A-Za-z0-9_./:=@-]+$/.test(s) ? s : `"${s.replace(/(["\\$`])/g, '\\$1')}"`);

export function systemdUnit(t: BootstrapTarget): string {
  return `${SYSTEMD_MARKER}
[Unit]
Description=jobctl job supervisor (${t.home})
${t.documentation ? `Documentation=${t.documentation}\n` : ''}After=network-online.target
Wants=network-online.target

[Service]
Type=simple
Environment=JOBCTL_HOME=${quote(t.home)}
WorkingDirectory=${quote(t.home)}
ExecStart=${quote(t.node)} ${DAEMON_NODE_FLAGS.join(' ')} ${quote(t.script)} daemon
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

export function cronMarker(home: string): string {
  return `# jobctl:${home}`;
}

/** `@reboot` start, plus a "start if not running" every 5 minutes (`jobctl up` is idempotent). */
export function cronLines(t: BootstrapTarget): string[] {
  const cmd = `JOBCTL_HOME=${quote(t.home)} ${quote(t.node)} ${quote(t.script)} up >/dev/null 2>&1`;
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
