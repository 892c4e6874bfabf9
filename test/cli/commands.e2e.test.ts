import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobctl, ROOT } from '../helpers/cli.js';
import { shellQuote } from '../../src/api/ssh-stream.js';
import { systemdUnitName } from '../../src/cli/install/units.js';
import { cleanupDaemons, makeHome, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { waitFor } from '../helpers/wait.js';
import { staticImports } from '../helpers/import-graph.js';

const TASKS = `tasks:
  web:
    description: the web workers
    command: while true; do echo "web $JOBCTL_INSTANCE serving"; sleep 0.2; done
    instances: 2
    start_seconds: 200ms
  tick:
    schedule: "*/2 * * * * *"
    command: echo "tick $JOBCTL_RUN_ID"
  slow:
    schedule: "0 0 1 1 *"
    command: sleep 30
  broken:
    schedule: "0 0 1 1 *"
    command: echo failing >&2; exit 4
`;

let d: TestDaemon;
let home: string;
beforeAll(async () => {
  home = makeHome({ 'tasks/app.yaml': TASKS, 'tasks/extra.yaml': 'tasks:\n  lonely:\n    command: sleep 1000\n    enabled: false\n' });
  d = await startTestDaemon(home);
  await waitFor(async () => (await jobctl(['status', 'web', '--json'], { home })).stdout.includes('"running": 2'), 10_000, 'web running');
});
afterAll(async () => {
  expect(await cleanupDaemons()).toEqual([]);
});

describe('jobctl commands against a real daemon', () => {
  it('status: a table of every task', async () => {
    const r = await jobctl(['status'], { home });
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(`home ${home} (from $JOBCTL_HOME) · daemon pid ${d.pid}, up ${lines[0]!.match(/up (\S+) ·/)?.[1]} · 5 tasks`);
    // Issue 30: containment in plain words; the paths only with --verbose (and in --json).
    expect(lines[1]).toMatch(/^(cgroups: (v2|hybrid v1\/v2); (memory|cpu|pids).* enforced.*|no cgroups: process groups contain the tasks; .+)$/);
    expect(lines[1]).not.toContain('/sys/fs/cgroup');
    const verbose = await jobctl(['status', '--verbose'], { home });
    expect(verbose.stdout.split('\n')[1]).toMatch(/^containment: (cgroup v2 \(\/.+\)|process groups \(no cgroup delegation: see docs\/running\.md; .+\))$/);
    expect(lines[2]).toMatch(/^TASK\s+GROUP\s+KIND\s+STATE\s+PROCS\s+UPTIME\/NEXT\s+LAST RUN\s+RESTARTS\s+CPU\s+MEM$/);
    expect(lines.find((l) => l.startsWith('web'))).toMatch(/^web\s+app\s+service\s+running\s+2\/2\s+\d+(ms|s)\S*\s+-\s+0\s+/);
    expect(lines.find((l) => l.startsWith('tick'))).toMatch(/^tick\s+app\s+cron\s+(scheduled|running)\s+\S+\s+in \d+(ms|s)\s+/);
    expect(lines.find((l) => l.startsWith('lonely'))).toMatch(/^lonely\s+extra\s+service\s+disabled\s+0\/1/);
    expect(r.stdout).not.toMatch(/\u001b\[/); // no colors when not a TTY
  });

  it('status TASK: details; --json: the documented shape', async () => {
    const one = await jobctl(['status', 'web'], { home });
    expect(one.stdout).toMatch(/ {2}the web workers\n {2}file: .*app\.yaml\n {2}command: while true; do echo "web \$JOBCTL_INSTANCE serving"; sleep 0\.2; done\n {2}cwd: .*tasks\n {2}logs: .*state\/logs\/web\/0\.log, .*state\/logs\/web\/1\.log\n {2}restarts: 0 \(restart: always; more than 10 within 1m -> fatal\)\n {2}#0 {2}running {2}pid \d+ {2}up \S+ {2}restarts 0/);
    expect(one.stdout).toMatch(/ {2}last lines:\n( {4}\S+Z #[01] \[(out|jobctl)\] .*\n?){1,5}$/);
    const cron = await jobctl(['status', 'broken'], { home });
    expect(cron.stdout).toMatch(/ {2}schedule: 0 0 1 1 \*; next \d{4}-01-01 00:00:00 \S+ \(in \S+\)\n {2}retries: 0 retry runs in the kept history \(retries: 0 per failed run\)/);
    const j1 = JSON.parse((await jobctl(['status', 'web', '--json'], { home })).stdout);
    expect(j1.tasks[0].details).toMatchObject({ cwd: expect.stringMatching(/tasks$/), envKeys: [], restart: { policy: 'always', maxRestarts: 10, windowMs: 60_000 } });
    const j = JSON.parse((await jobctl(['status', '--json'], { home })).stdout);
    expect(Object.keys(j)).toEqual(['daemon', 'tasks']);
    expect(j.daemon).toMatchObject({ pid: d.pid, home, configErrors: [] });
    const web = j.tasks.find((t: { name: string }) => t.name === 'web');
    expect(web).toMatchObject({ name: 'web', group: 'app', kind: 'service', enabled: true, state: 'running', desired: 'running', running: 2 });
    expect(web.instances[1]).toMatchObject({ index: 1, state: 'running', restarts: 0 });
    const group = JSON.parse((await jobctl(['status', '@extra', '--json'], { home })).stdout);
    expect(group.tasks.map((t: { name: string }) => t.name)).toEqual(['lonely']);
  });

  it('stop, start, restart wait and print the new state', async () => {
    const stop = await jobctl(['stop', 'web'], { home });
    expect(stop).toMatchObject({ code: 0, stdout: 'web: stopped (0/2 running)' });
    const start = await jobctl(['start', 'web'], { home });
    expect(start).toMatchObject({ code: 0, stdout: 'web: running (2/2 running)' });
    const restart = await jobctl(['restart', 'web', '--json'], { home });
    expect(JSON.parse(restart.stdout).tasks[0]).toMatchObject({ name: 'web', state: 'running', running: 2 });
    const grp = await jobctl(['stop', '@extra'], { home });
    expect(grp.stdout).toBe('lonely: disabled (0/1 running)');
  });

  it('start of a disabled task says why; usage errors exit 2', async () => {
    const r = await jobctl(['start', 'lonely'], { home });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^jobctl: task "lonely" is disabled \(enabled: false in .*extra\.yaml\); enable it there first$/);
    expect((await jobctl(['start'], { home })).code).toBe(2);
    expect((await jobctl(['start', 'web', '--all'], { home })).code).toBe(2);
    const unknown = await jobctl(['stop', 'wbe'], { home });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('jobctl: no task named "wbe" (did you mean "web"?); `jobctl status` lists them');
  });

  it('run, history and logs of a cron task', async () => {
    const run = await jobctl(['run', 'broken'], { home });
    expect(run.code).toBe(0);
    const id = /run (\S+) started/.exec(run.stdout)![1]!;
    expect(run.stdout).toBe(`broken: run ${id} started; follow it with \`jobctl logs broken --run ${id} -f\``);
    await waitFor(async () => JSON.parse((await jobctl(['history', 'broken', '--json'], { home })).stdout).runs[0]?.state === 'failed', 5000, 'failed run');
    const h = await jobctl(['history', 'broken'], { home });
    expect(h.stdout.split('\n')[0]).toMatch(/^RUN\s+TRIGGER\s+TRY\s+SCHEDULED\s+DURATION\s+STATE\s+EXIT\s+NOTE$/);
    expect(h.stdout.split('\n')[1]).toMatch(new RegExp(`^${id}\\s+manual\\s+1\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d \\S+\\s+\\S+\\s+failed\\s+4\\s+exited with code 4$`));
    const logs = await jobctl(['logs', 'broken', '--run', 'last'], { home });
    expect(logs.stdout).toMatch(/\[err\] failing\n.*\[jobctl\] failed: exited with code 4$/);
    const j = JSON.parse((await jobctl(['logs', 'broken', '--json'], { home })).stdout);
    expect(j.files[0]).toMatch(new RegExp(`state/logs/broken/runs/${id}\\.log$`));
    const daemonHistory = await jobctl(['history', 'web'], { home });
    expect(daemonHistory.code).toBe(1);
    expect(daemonHistory.stderr).toMatch(/is a service task; history is kept for cron tasks/);
  });

  it('run with overlap skip reports the skip and exits 1; kill stops the run', async () => {
    await jobctl(['run', 'slow'], { home });
    const again = await jobctl(['run', 'slow'], { home });
    expect(again.code).toBe(1);
    expect(again.stderr).toBe('jobctl: slow: run skipped: previous run still going (overlap: skip)');
    const k = await jobctl(['kill', 'slow', '--signal', 'KILL'], { home });
    expect(k.stdout).toBe('sent SIGKILL to 1 process group of slow');
    // kill(1)'s forms: -9, -KILL, -SIGKILL, --signal 9, -s kill
    for (const form of [['-9'], ['-s', 'kill']]) {
      await jobctl(['run', 'slow'], { home });
      await waitFor(async () => JSON.parse((await jobctl(['status', 'slow', '--json'], { home })).stdout).tasks[0].activeRuns?.length === 1, 5000, 'slow running');
      const r = await jobctl(['kill', 'slow', ...form], { home });
      expect(r.stderr, form.join(' ')).toBe('');
      expect(r.stdout, form.join(' ')).toBe('sent SIGKILL to 1 process group of slow');
      await waitFor(async () => !JSON.parse((await jobctl(['status', 'slow', '--json'], { home })).stdout).tasks[0].activeRuns?.length, 5000, 'slow killed');
    }
    await jobctl(['run', 'slow'], { home });
    await waitFor(async () => JSON.parse((await jobctl(['status', 'slow', '--json'], { home })).stdout).tasks[0].activeRuns?.length === 1, 5000, 'slow running again');
    expect(JSON.parse((await jobctl(['kill', 'slow', '--json'], { home })).stdout)).toEqual({ signalled: 1 });
    const bad = await jobctl(['kill', 'slow', '--signal', 'NOPE'], { home });
    expect(bad.code).toBe(2);
  }, 90_000);

  it('logs of a service task: instances merged by time, -n, --instance, --since, -f', async () => {
    const r = await jobctl(['logs', 'web', '-n', '6'], { home });
    const lines = r.stdout.split('\n');
    expect(lines).toHaveLength(6);
    const times = lines.map((l) => Date.parse(l.slice(0, 24)));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    const one = await jobctl(['logs', 'web', '--instance', '1', '-n', '3'], { home });
    for (const l of one.stdout.split('\n')) expect(l).toMatch(/\[(out|jobctl)\] (web 1 serving|started pid|exited|killed|stop)/);
    const since = await jobctl(['logs', 'web', '--since', '1ms'], { home });
    expect(since.stdout.split('\n').length).toBeLessThanOrEqual(2);
    const noInstance = await jobctl(['logs', 'web', '--instance', '7'], { home });
    expect(noInstance.stderr).toBe('jobctl: task "web" has 2 instances (0..1)');
    // -f prints new lines as they come
    const follow = execa(process.execPath, [path.join(ROOT, 'dist/bin/jobctl.js'), 'logs', 'web', '-f', '-n', '0'], { env: { JOBCTL_HOME: home }, reject: false });
    let seen = '';
    follow.stdout!.on('data', (b: Buffer) => (seen += b.toString()));
    await waitFor(() => (seen.match(/serving/g) ?? []).length >= 3, 5000, 'followed lines');
    follow.kill('SIGINT');
    await follow;
  });

  it('scale sets a manual count and goes back with auto', async () => {
    // it waits until the count is reached, like start and stop
    const up = await jobctl(['scale', 'web', '3'], { home });
    expect(up.stdout).toBe('web: running (3/3 running)');
    const j = JSON.parse((await jobctl(['status', 'web', '--json'], { home })).stdout);
    expect(j.tasks[0].scale).toMatchObject({ mode: 'manual', current: 3, target: 3 });
    const back = await jobctl(['scale', 'web', 'auto'], { home });
    expect(back.stdout).toBe('web: running (2/2 running)');
    // --no-wait returns at once: the new instance is not running yet
    const quick = await jobctl(['scale', 'web', '4', '--no-wait', '--json'], { home });
    expect(JSON.parse(quick.stdout).task.running).toBeLessThan(4);
    expect((await jobctl(['scale', 'web', 'auto'], { home })).stdout).toBe('web: running (2/2 running)');
    expect((await jobctl(['scale', 'tick', '2'], { home })).stderr).toBe('jobctl: task "tick" is a cron task; scale applies to service tasks');
  });

  it('add and rm edit the YAML in place; every other line stays byte-identical (golden files)', async () => {
    const golden = path.join(ROOT, 'test/fixtures/golden');
    const file = path.join(home, 'tasks/workers.yaml');
    fs.copyFileSync(path.join(golden, 'workers.yaml'), file);
    const add = await jobctl(['add', 'reports', '--schedule', '*/15 * * * *', '--group', 'workers', '--env', 'QUEUE=reports', '--', 'php', 'artisan', 'reports:send'], { home });
    expect(add.code).toBe(0);
    expect(fs.readFileSync(file, 'utf8')).toBe(fs.readFileSync(path.join(golden, 'workers.added.yaml'), 'utf8'));
    expect(add.stdout.split('\n')[0]).toBe('tasks/workers.yaml: add task reports');
    expect(add.stdout).toContain('+   reports:');
    fs.copyFileSync(path.join(golden, 'workers.yaml'), file);
    const rm = await jobctl(['rm', 'thumbs'], { home });
    expect(rm.code).toBe(0);
    expect(fs.readFileSync(file, 'utf8')).toBe(fs.readFileSync(path.join(golden, 'workers.removed.yaml'), 'utf8'));
    expect(rm.stdout).toContain('-   thumbs:');
    // the daemon picks both up through its watcher
    await waitFor(async () => !(await jobctl(['status', '--json'], { home })).stdout.includes('"thumbs"') &&
      (await jobctl(['status', 'mailer'], { home })).code === 0, 5000, 'watcher applied');
    fs.rmSync(file);
  });

  it('add refuses a duplicate name, a bad expression and an invalid file, and writes nothing', async () => {
    const dup = await jobctl(['add', 'web', '--instances', '1', '--', 'true'], { home });
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(/not written: the change would make the task files invalid:\n {2}tasks\/app\.yaml:\d+:\d+ task "web": task name "web" is used again in tasks\/web\.yaml/);
    expect(fs.existsSync(path.join(home, 'tasks/web.yaml'))).toBe(false);
    const cron = await jobctl(['add', 'bad', '--schedule', '61 * * * *', '--', 'true'], { home });
    expect(cron.stderr).toMatch(/schedule: invalid expression "61 \* \* \* \*"/);
    fs.writeFileSync(path.join(home, 'tasks/broken.yaml'), 'tasks:\n  x:\n    comand: y\n');
    const inv = await jobctl(['add', 'y', '--group', 'broken', '--instances', '1', '--', 'true'], { home });
    expect(inv.stderr).toMatch(/^jobctl: tasks\/broken\.yaml is already invalid; fix it first:\n {2}tasks\/broken\.yaml:2:3 task "x": command: is required/);
    fs.rmSync(path.join(home, 'tasks/broken.yaml'));
    expect((await jobctl(['add', 'NoGood', '--instances', '1', '--', 'true'], { home })).code).toBe(2);
    expect((await jobctl(['add', 'x', '--', 'true'], { home })).stderr).toBe('jobctl: give --schedule EXPR (a cron task) or --instances N (a service task)');
    expect((await jobctl(['rm', 'nope'], { home })).stderr).toMatch(/^jobctl: no task named "nope" in .*tasks$/);
  });

  it('--help reads well for every command', async () => {
    const top = await jobctl(['--help']);
    const commands = ['status', 'start', 'stop', 'restart', 'run', 'kill', 'logs', 'history', 'next', 'init', 'add', 'rm', 'validate', 'plan', 'reload', 'up', 'down', 'daemon', 'install', 'completion', 'tui', 'top', 'help'];
    const helps = await Promise.all(commands.map((cmd) => jobctl([cmd, '--help'])));
    commands.forEach((cmd, i) => {
      expect(top.stdout, cmd).toMatch(new RegExp(`^  ${cmd}\\b`, 'm'));
      expect(helps[i]!.code, cmd).toBe(0);
      expect(helps[i]!.stdout, cmd).toMatch(/^Usage: jobctl /);
      // The long-running kind is `service`; "daemon" is the supervisor's word only.
      expect(helps[i]!.stdout, cmd).not.toMatch(/\bdaemon( tasks?|:)/);
    });
    expect(helps[commands.indexOf('logs')]!.stdout).toContain('jobctl logs worker -f');
  }, 90_000);

  it('completion scripts complete commands and task names', async () => {
    const bash = await jobctl(['completion', 'bash']);
    expect(bash.stdout).toContain('complete -F _jobctl jobctl');
    expect(bash.stdout).toMatch(/cands="status start stop restart run kill logs history/);
    const names = await jobctl(['_complete', 'tasks'], { home });
    expect(names.stdout.split('\n')).toEqual(expect.arrayContaining(['web', 'tick', 'lonely', '@app', '@extra']));
    const zsh = await jobctl(['completion', 'zsh']);
    expect(zsh.stdout).toContain('compdef _jobctl jobctl');
    expect((await jobctl(['completion', 'fish'])).code).toBe(2);
  });
});

describe('when no daemon runs', () => {
  it('every daemon command says so in one line and exits 3', async () => {
    const empty = makeHome({ 'tasks/a.yaml': 'tasks:\n  a:\n    command: x\n' });
    for (const args of [['status'], ['start', 'a'], ['stop', 'a'], ['restart', 'a'], ['run', 'a'], ['kill', 'a'], ['logs', 'a', '-f'], ['plan'], ['reload'], ['down'], ['scale', 'a', '2']]) {
      const r = await jobctl(args, { home: empty });
      expect(r.code, args.join(' ')).toBe(3);
      if (args[0] === 'logs') expect(r.stderr).toBe(`jobctl: daemon not running for home ${empty} (from $JOBCTL_HOME): -f needs it (start it with \`jobctl up\`); without -f, logs reads the files in state/`);
      else expect(r.stderr, args.join(' ')).toBe(`jobctl: daemon not running for home ${empty} (from $JOBCTL_HOME): start it with \`jobctl up\` (or \`jobctl daemon\` in the foreground)`);
    }
    // and those that need no daemon work
    expect((await jobctl(['validate'], { home: empty })).code).toBe(0);
    expect((await jobctl(['next', '@daily'], { home: empty })).code).toBe(0);
  });
});

describe('install', () => {
  it('writes a systemd unit that systemd-analyze accepts, and removes exactly it', async () => {
    const h = makeHome({ 'tasks/a.yaml': 'tasks: {}\n' });
    const dir = path.join(h, 'units');
    const name = systemdUnitName(h);
    const r = await jobctl(['install', 'systemd'], { home: h, env: { JOBCTL_SYSTEMD_DIR: dir } });
    expect(r.code).toBe(0);
    const unit = fs.readFileSync(path.join(dir, name), 'utf8');
    expect(unit).toContain(`Environment=JOBCTL_HOME=${h}`);
    expect(unit).toMatch(/ExecStart=\S+node --max-semi-space-size=1 \S+jobctl\.js daemon/);
    expect(unit).toContain('KillMode=mixed');
    expect(unit).toContain('Delegate=yes');
    expect(unit).toContain('Restart=on-failure');
    const analyze = await execa('systemd-analyze', ['verify', path.join(dir, name)], { reject: false });
    // Where systemd is installed, the unit must verify cleanly.
    if ((analyze as { code?: string }).code !== 'ENOENT') expect({ code: analyze.exitCode, stderr: analyze.stderr }).toEqual({ code: 0, stderr: '' });
    // uninstall: disable --now (stop) first, then remove, then daemon-reload
    const calls = path.join(h, 'systemctl.calls');
    const fakeSystemctl = path.join(h, 'fake-systemctl');
    fs.writeFileSync(fakeSystemctl, `#!/bin/sh\necho "$* unit-present=$(test -f '${dir}/${name}' && echo yes || echo no)" >> "${calls}"\n`, { mode: 0o755 });
    const env = { JOBCTL_SYSTEMD_DIR: dir, JOBCTL_SYSTEMCTL: fakeSystemctl };
    const dry = await jobctl(['uninstall', 'systemd', '--dry-run'], { home: h, env });
    expect(dry.stdout).toBe(`would run: ${fakeSystemctl} disable --now ${shellQuote(name)}\nwould remove ${dir}/${name}\nwould run: ${fakeSystemctl} daemon-reload\n(dry run: nothing changed)`);
    expect(fs.existsSync(path.join(dir, name))).toBe(true);
    expect(fs.existsSync(calls)).toBe(false);
    const u = await jobctl(['uninstall', 'systemd'], { home: h, env });
    expect(u.code).toBe(0);
    expect(fs.existsSync(path.join(dir, name))).toBe(false);
    expect(fs.readFileSync(calls, 'utf8')).toBe(`disable --now ${name} unit-present=yes\ndaemon-reload unit-present=no\n`);
    expect(u.stdout).toBe(`ran: systemctl disable --now ${shellQuote(name)}\nremoved ${dir}/${name}\nran: systemctl daemon-reload`);
  });

  it('install --dry-run prints the unit and the crontab it would write, and writes nothing', async () => {
    const h = makeHome({ 'tasks/a.yaml': 'tasks: {}\n' });
    const dir = path.join(h, 'units');
    const r = await jobctl(['install', 'systemd', '--dry-run'], { home: h, env: { JOBCTL_SYSTEMD_DIR: dir } });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`would write ${dir}/${systemdUnitName(h)}:\n# Installed by`);
    expect(r.stdout).toContain(`Environment=JOBCTL_HOME=${h}`);
    // Issue 29: Documentation= named https://github.com/jobctl/jobctl, not this project. Now:
    // package.json's homepage when set, else the README this installation ships.
    expect(r.stdout).not.toContain('github.com/jobctl');
    const doc = /^Documentation=(.*)$/m.exec(r.stdout)?.[1];
    expect(doc).toBe(pathToFileURL(path.join(ROOT, 'README.md')).href);
    expect(fs.readFileSync(fileURLToPath(doc!), 'utf8')).toMatch(/^# jobctl/);
    expect(r.stdout).toContain(`then you would run:\n  systemctl daemon-reload && systemctl enable --now ${shellQuote(systemdUnitName(h))}\n(dry run: nothing written)`);
    expect(fs.existsSync(dir)).toBe(false);
    const store = path.join(h, 'crontab.txt');
    fs.writeFileSync(store, '0 1 * * * /usr/bin/backup\n');
    const fake = path.join(h, 'fake-crontab');
    fs.writeFileSync(fake, `#!/bin/sh\nif [ "$1" = "-l" ]; then cat "${store}"; else cat > "${store}"; fi\n`, { mode: 0o755 });
    const c = await jobctl(['install', 'cron', '--dry-run'], { home: h, env: { JOBCTL_CRONTAB: fake } });
    expect(c.stdout.split('\n')[1]).toBe('0 1 * * * /usr/bin/backup');
    expect(c.stdout).toMatch(/\n@reboot JOBCTL_HOME=.*\n\*\/5 \* \* \* \* JOBCTL_HOME=.*\n\(dry run: nothing written\)$/);
    expect(fs.readFileSync(store, 'utf8')).toBe('0 1 * * * /usr/bin/backup\n');
  });

  it('adds @reboot and */5 lines to the crontab and removes exactly them', async () => {
    const h = makeHome({ 'tasks/a.yaml': 'tasks: {}\n' });
    const store = path.join(h, 'crontab.txt');
    fs.writeFileSync(store, '# my jobs\n0 1 * * * /usr/bin/backup\n');
    const fake = path.join(h, 'fake-crontab');
    fs.writeFileSync(fake, `#!/bin/sh\nif [ "$1" = "-l" ]; then cat "${store}"; else cat > "${store}"; fi\n`, { mode: 0o755 });
    const r = await jobctl(['install', 'cron'], { home: h, env: { JOBCTL_CRONTAB: fake } });
    expect(r.code).toBe(0);
    const tab = fs.readFileSync(store, 'utf8').split('\n');
    expect(tab.slice(0, 2)).toEqual(['# my jobs', '0 1 * * * /usr/bin/backup']);
    expect(tab[2]).toMatch(new RegExp(`^@reboot JOBCTL_HOME=${h} \\S+ \\S+ up >/dev/null 2>&1 # jobctl:${h}$`));
    expect(tab[3]).toMatch(/^\*\/5 \* \* \* \* JOBCTL_HOME=/);
    await jobctl(['install', 'cron'], { home: h, env: { JOBCTL_CRONTAB: fake } }); // twice: no duplicates
    expect(fs.readFileSync(store, 'utf8').split('\n').filter((l) => l.includes('# jobctl:'))).toHaveLength(2);
    const u = await jobctl(['uninstall', 'cron'], { home: h, env: { JOBCTL_CRONTAB: fake } });
    expect(u.code).toBe(0);
    expect(fs.readFileSync(store, 'utf8')).toBe('# my jobs\n0 1 * * * /usr/bin/backup\n');
  });
});

describe('start-up cost', () => {
  const HEAVY = /^(ink|react|blessed|blessed-contrib|ink-testing-library|zod|yaml|execa|croner|chokidar|lowdb|dotenv)(\/|$)/;
  // Node builtins that only some commands use, loaded on use: `up` spawns, `install` hashes, `web` serves.
  const RARE_BUILTINS = /^node:(child_process|crypto|http|https)$/;

  it('the CLI loads no heavy library up front: ink, react, blessed, zod, yaml, execa, croner, chokidar, lowdb (static imports from the bin)', () => {
    // The bin imports the CLI program for every command but the plain `daemon` (src/bin/daemon-call.ts).
    const bin = staticImports(path.join(ROOT, 'dist/bin/jobctl.js'), ROOT);
    const cli = staticImports(path.join(ROOT, 'dist/cli/program.js'), ROOT);
    expect(fs.readFileSync(path.join(ROOT, 'dist/bin/bundles.js'), 'utf8')).toContain("import('../cli/program.js')");
    const seen = new Set([...bin.files, ...cli.files]);
    const packages = [...bin.packages, ...cli.packages];
    const bad = packages.filter((p) => HEAVY.test(p.spec) || RARE_BUILTINS.test(p.spec)).map((p) => `${p.from} -> ${p.spec}`);
    expect(bad).toEqual([]);
    expect(seen.size).toBeGreaterThan(10);
  });

  it('the CLI bundle holds to the same rule, and is what the bin runs', () => {
    // scripts/build-bundles.mjs: our modules in one file plus chunks; packages stay imports of node_modules.
    expect(fs.readFileSync(path.join(ROOT, 'dist/bin/bundles.js'), 'utf8')).toContain("'../cli-bundle/program.js'");
    const cli = staticImports(path.join(ROOT, 'dist/cli-bundle/program.js'), ROOT);
    const bad = cli.packages.filter((p) => HEAVY.test(p.spec) || RARE_BUILTINS.test(p.spec)).map((p) => `${p.from} -> ${p.spec}`);
    expect(bad).toEqual([]);
    expect(cli.packages.some((p) => p.spec === 'commander')).toBe(true);
    // What the static graph leaves out is a chunk of its own, imported on demand (the TUI, the config pipeline).
    const text = [...cli.files].map((f) => fs.readFileSync(f, 'utf8')).join('\n');
    for (const mark of ['ZodError', 'YAMLParseError', 'useInput']) expect(text.includes(mark), mark).toBe(false);
  });

  it('commands run from the bundle print what they print from the modules, chunks loaded on demand included', async () => {
    // `validate` loads the config pipeline (a chunk of its own), `help keys` the schema's key list.
    for (const args of [['help', 'keys'], ['validate'], ['status', 'lonely', '--json']]) {
      const bundled = await jobctl(args, { home, env: { JOBCTL_CLI_BUNDLE: '1' } });
      const modules = await jobctl(args, { home, env: { JOBCTL_CLI_BUNDLE: '0' } });
      expect(bundled.code, args.join(' ')).toBe(0);
      // status: the tasks (the daemon's own uptime moves between the two calls)
      const same = (out: string) => (args[0] === 'status' ? JSON.stringify((JSON.parse(out) as { tasks: unknown }).tasks) : out);
      expect(same(bundled.stdout), args.join(' ')).toBe(same(modules.stdout));
      expect(bundled.stdout.length, args.join(' ')).toBeGreaterThan(20);
    }
  });
});
