import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { systemdEscapePath, systemdUnitName } from '../../../src/cli/install/units.js';
import { jobctl } from '../../helpers/cli.js';
import { cleanupDaemons, makeHome } from '../../helpers/daemon.js';

afterAll(async () => {
  await cleanupDaemons();
});

/**
 * Issue 30: one boot unit per home. The name is the home escaped as systemd escapes paths
 * for unit names: systemd.unit(5), "String Escaping for Inclusion in Unit Names", and
 * src/basic/unit-name.c (unit_name_path_escape -> do_escape): duplicate, leading and
 * trailing slashes dropped, "/" -> "-", a leading "." and every character but ASCII
 * letters, digits, ":", "_" and "." -> C-style "\xNN" (lowercase hex); "/" alone is "-".
 */
describe('systemd unit names', () => {
  it('a home too long for a unit name (UNIT_NAME_MAX 256) gets a valid, distinct name ending in a hash', () => {
    const deep = `/srv/${'深'.repeat(30)}/jobs`;
    const other = `/srv/${'深'.repeat(30)}/jobs2`;
    const valid = /^[A-Za-z0-9:_.\\-]+\.service$/;
    for (const home of [deep, other, `/${'a'.repeat(300)}`]) {
      const name = systemdUnitName(home);
      expect(name.length).toBeLessThan(256);
      expect(name).toMatch(valid);
      expect(name).toMatch(/^jobctl-srv-|^jobctl-a/);
      // Not cut inside an escape.
      expect(name).not.toMatch(/\\x?[0-9a-f]?_[0-9a-f]{16}\.service$/);
    }
    expect(systemdUnitName(deep)).not.toBe(systemdUnitName(other));
    // Short homes keep the plain escaped name.
    expect(systemdUnitName('/srv/jobs')).toBe('jobctl-srv-jobs.service');
  });

  const cases: Array<[string, string]> = [
    ['/srv/jobs', 'srv-jobs'],
    ['/srv/my-jobs/', 'srv-my\\x2djobs'],
    ['//home//ann/.jobctl', 'home-ann-.jobctl'],
    ['/.hidden/x', '\\x2ehidden-x'],
    ['/opt/a b:c_d.e', 'opt-a\\x20b:c_d.e'],
    ['/data/ünï', 'data-\\xc3\\xbcn\\xc3\\xaf'],
    ['/', '-'],
  ];

  it.each(cases)('%s -> %s (as systemd-escape --path)', async (home, escaped) => {
    expect(systemdEscapePath(home)).toBe(escaped);
    expect(systemdUnitName(home)).toBe(`jobctl-${escaped}.service`);
    // Where systemd's own tool is installed, it agrees.
    const r = await execa('systemd-escape', ['--path', home], { reject: false });
    if ((r as { code?: string }).code !== 'ENOENT') expect(r.stdout).toBe(escaped);
  });
});

describe('install systemd: one unit per home', () => {
  it('two homes get two units; uninstall removes only its own home\'s', async () => {
    const a = makeHome({ 'tasks/a.yaml': 'tasks: {}\n' });
    const b = makeHome({ 'tasks/b.yaml': 'tasks: {}\n' });
    const dir = path.join(a, 'units');
    const calls = path.join(a, 'systemctl.calls');
    const fake = path.join(a, 'fake-systemctl');
    fs.writeFileSync(fake, `#!/bin/sh\necho "$*" >> "${calls}"\n`, { mode: 0o755 });
    const env = { JOBCTL_SYSTEMD_DIR: dir, JOBCTL_SYSTEMCTL: fake };
    for (const h of [a, b]) expect((await jobctl(['install', 'systemd'], { home: h, env })).code).toBe(0);
    expect(fs.readdirSync(dir).sort()).toEqual([systemdUnitName(a), systemdUnitName(b)].sort());
    expect(fs.readFileSync(path.join(dir, systemdUnitName(b)), 'utf8')).toContain(`Environment=JOBCTL_HOME=${b}`);
    const u = await jobctl(['uninstall', 'systemd'], { home: a, env });
    expect(u.code).toBe(0);
    expect(fs.readdirSync(dir)).toEqual([systemdUnitName(b)]);
    expect(fs.readFileSync(calls, 'utf8').split('\n')[0]).toBe(`disable --now ${systemdUnitName(a)}`);
  });

  it('a jobctl.service an earlier version wrote for this home is still uninstalled', async () => {
    const h = makeHome({ 'tasks/a.yaml': 'tasks: {}\n' });
    const dir = path.join(h, 'units');
    const fake = path.join(h, 'fake-systemctl');
    fs.writeFileSync(fake, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    const env = { JOBCTL_SYSTEMD_DIR: dir, JOBCTL_SYSTEMCTL: fake };
    expect((await jobctl(['install', 'systemd'], { home: h, env })).code).toBe(0);
    fs.renameSync(path.join(dir, systemdUnitName(h)), path.join(dir, 'jobctl.service'));
    const u = await jobctl(['uninstall', 'systemd'], { home: h, env });
    expect(u.stdout).toContain(`removed ${dir}/jobctl.service`);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('a --user unit does not order itself after network-online.target, which the user manager lacks', async () => {
    const h = makeHome({ 'tasks/a.yaml': 'tasks: {}\n' });
    const dir = path.join(h, 'units');
    const user = await jobctl(['install', 'systemd', '--user', '--dry-run'], { home: h, env: { JOBCTL_SYSTEMD_DIR: dir } });
    expect(user.code).toBe(0);
    expect(user.stdout).not.toContain('network-online.target');
    expect(user.stdout).toContain('WantedBy=default.target');
    const system = await jobctl(['install', 'systemd', '--dry-run'], { home: h, env: { JOBCTL_SYSTEMD_DIR: dir } });
    expect(system.stdout).toContain('After=network-online.target\nWants=network-online.target');
  });
});

describe('install cron --dry-run', () => {
  it('prints the lines it would add even where there is no crontab command', async () => {
    const h = makeHome({ 'tasks/a.yaml': 'tasks: {}\n' });
    const r = await jobctl(['install', 'cron', '--dry-run'], { home: h, env: { JOBCTL_CRONTAB: path.join(h, 'no-such-crontab') } });
    expect({ code: r.code, err: r.stderr }).toEqual({ code: 0, err: '' });
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('would add to your crontab:');
    expect(lines[1]).toMatch(new RegExp(`^@reboot JOBCTL_HOME=${h} \\S+ \\S+ up >/dev/null 2>&1 # jobctl:${h}$`));
    expect(lines[2]).toMatch(/^\*\/5 \* \* \* \* JOBCTL_HOME=/);
    expect(lines[3]).toMatch(/^\(dry run: nothing written; note: crontab not found: install cron/);
    // Without --dry-run the missing crontab is still an error.
    const real = await jobctl(['install', 'cron'], { home: h, env: { JOBCTL_CRONTAB: path.join(h, 'no-such-crontab') } });
    expect(real.code).toBe(1);
    expect(real.stderr).toMatch(/crontab not found/);
  });
});
