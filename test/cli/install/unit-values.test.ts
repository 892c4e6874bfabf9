import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { cronLines, removeCronLines, addCronLines, systemdUnit } from '../../../src/cli/install/units.js';

/**
 * A home whose path has a space, `%`, `$`, a backtick or a quote still gets a unit systemd
 * accepts and values it reads back as the path. The spec is systemd's parser,
 * src/core/load-fragment.c: `config_parse_environ` (words: EXTRACT_UNQUOTE|EXTRACT_CUNESCAPE,
 * then `unit_env_printf`: `%%` is a literal `%`), `config_parse_working_directory` (no
 * unquoting; `unit_path_printf`; the path must be absolute), `config_parse_exec` (specifiers,
 * words, `$$` a literal `$`). crontab(5): a `%` in a command is a newline unless `\%`.
 */
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'jobctl-unit-'));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

const ODD = ['my jobs', '100%', '%i', '$HOME', '`id`', '"q"', "it's"];

describe('unit values for homes with characters systemd and cron read specially', () => {
  it.each(ODD)('home %j: systemd-analyze verify accepts the unit, every value spelled for its parser', async (part) => {
    const home = path.join(scratch, part);
    fs.mkdirSync(home, { recursive: true });
    // The script (an argument of ExecStart) under the odd path too; verify checks the binary exists.
    const unit = systemdUnit({ home, node: '/bin/true', script: path.join(home, 'jobctl.js'), user: false, documentation: pathToFileURL(path.join(home, 'README.md')).href });
    const esc = (s: string) => s.replace(/%/g, '%%');
    expect(unit).toContain(`\nWorkingDirectory=${esc(home)}\n`);
    expect(unit).toContain(`Description=jobctl job supervisor (${esc(home)})`);
    const env = /^Environment=(.*)$/m.exec(unit)![1]!;
    // Unquoted and unescaped as extract_first_word does, it is the assignment itself.
    const word = env.startsWith('"') ? env.slice(1, -1).replace(/\\(["\\])/g, '$1') : env;
    expect(word).toBe(`JOBCTL_HOME=${esc(home)}`);
    expect(unit).not.toMatch(/\\\$|\\`/);
    if (part === '$HOME') expect(unit).toMatch(/ExecStart=.*\$\$HOME/);
    const file = path.join(scratch, 'jobctl-odd.service');
    fs.writeFileSync(file, unit);
    const r = await execa('systemd-analyze', ['verify', file], { reject: false });
    if ((r as { code?: string }).code === 'ENOENT') return; // no systemd on this host: the text checks above stand
    expect({ code: r.exitCode, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
  });

  it('cron lines escape % (else cron cuts the command there and feeds the rest to stdin) and are removed by their marker', async () => {
    const home = path.join(scratch, '50% jobs');
    const lines = cronLines({ home, node: '/usr/bin/node', script: '/opt/jobctl.js', user: false });
    for (const l of lines) {
      expect(l).not.toMatch(/(^|[^\\])%/);
      expect(l).toContain('50\\% jobs');
    }
    // What cron hands to sh (cronie src/do_command.c drops the backslash before a %) runs with
    // the home intact: here "node" is sh and the "script" writes $JOBCTL_HOME down.
    const out = path.join(scratch, 'seen');
    const script = path.join(scratch, 'print.sh');
    fs.writeFileSync(script, `printf %s "$JOBCTL_HOME" > '${out}'\n`);
    const [, every] = cronLines({ home, node: '/bin/sh', script, user: false });
    await execa('sh', ['-c', every!.replace(/^\S+ \S+ \S+ \S+ \S+ /, '').replace(/\\%/g, '%')]);
    expect(fs.readFileSync(out, 'utf8')).toBe(home);
    const tab = addCronLines('0 1 * * * /usr/bin/backup\n', { home, node: '/usr/bin/node', script: '/opt/jobctl.js', user: false });
    expect(removeCronLines(tab, home)).toBe('0 1 * * * /usr/bin/backup\n');
  });
});
