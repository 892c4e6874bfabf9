import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobctl } from '../helpers/cli.js';
import { cleanupDaemons, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { tempDir } from '../helpers/temp.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Issue 30: `plan` before a change, not after it. The home is a clone of a task repo; a
 * second clone pushes a change; after `git fetch` the working tree is untouched (so the
 * watcher applies nothing) and `plan --rev origin/main` says what the pull would do.
 */
const V1 = `tasks:
  web:
    command: sleep 1000
  tick:
    schedule: "0 0 1 1 *"
    command: echo tick
  gone:
    command: sleep 1000
`;
const V2 = `tasks:
  web:
    command: sleep 2000
  tick:
    description: the yearly tick
    schedule: "0 0 1 1 *"
    command: echo tick
  added:
    command: sleep 1000
`;

const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', '-c', 'init.defaultBranch=main', ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

let root: { dir: string; cleanup: () => void };
let home: string;
let d: TestDaemon;

beforeAll(async () => {
  root = tempDir('jobctl-plan-');
  const origin = path.join(root.dir, 'origin.git');
  git(root.dir, 'init', '-q', '--bare', origin);
  const seed = path.join(root.dir, 'seed');
  git(root.dir, 'clone', '-q', origin, seed);
  fs.mkdirSync(path.join(seed, 'tasks'));
  fs.writeFileSync(path.join(seed, 'tasks/app.yaml'), V1);
  fs.writeFileSync(path.join(seed, '.gitignore'), '/state/\n/fleet.yaml\n');
  git(seed, 'add', '-A');
  git(seed, 'commit', '-qm', 'v1');
  git(seed, 'push', '-q', 'origin', 'HEAD:main');
  home = path.join(root.dir, 'home');
  git(root.dir, 'clone', '-q', '-b', 'main', origin, home);
  d = await startTestDaemon(home);
  // The change lands in origin; the home only fetches it.
  fs.writeFileSync(path.join(seed, 'tasks/app.yaml'), V2);
  git(seed, 'commit', '-qam', 'v2');
  git(seed, 'push', '-q', 'origin', 'HEAD:main');
  git(home, 'fetch', '-q');
}, 60_000);

afterAll(async () => {
  await cleanupDaemons();
  root?.cleanup();
});

describe('plan --rev / --dir / fleet sync --plan', () => {
  it('plan --rev origin/main: start, stop, restart or leave, by the diff the daemon applies', async () => {
    expect((await jobctl(['plan'], { home })).stdout).toBe('no changes: the daemon runs what tasks/ says\n3 unchanged');
    const r = await jobctl(['plan', '--rev', 'origin/main'], { home });
    expect({ code: r.code, err: r.stderr }).toEqual({ code: 0, err: '' });
    const commit = git(home, 'rev-parse', '--short', 'origin/main').trim();
    // cwd (the task file's directory) is where tasks/ is, not where the revision was read: not a change.
    expect(r.stdout).toBe([
      `plan of rev origin/main (${commit}) against what runs:`,
      '+ added  (start)',
      '- gone  (stop and remove)',
      '~ tick  (applied in place, processes kept: description)',
      '~ web  (restart: command)',
    ].join('\n'));
    const json = JSON.parse((await jobctl(['plan', '--rev', 'origin/main', '--json'], { home })).stdout) as { changed: Array<{ name: string; effect: string }> };
    expect(json.changed).toEqual([{ name: 'tick', keys: ['description'], effect: 'in place' }, { name: 'web', keys: ['command'], effect: 'restart' }]);
    // Nothing was applied, nothing written out was left in state/.
    expect((await jobctl(['plan'], { home })).stdout).toBe('no changes: the daemon runs what tasks/ says\n3 unchanged');
    expect(fs.readdirSync(path.join(home, 'state')).filter((f) => f.startsWith('plan-'))).toEqual([]);
  }, 60_000);

  it('a revision that does not exist, or an option that looks like one, is a clear error', async () => {
    const missing = await jobctl(['plan', '--rev', 'origin/nope'], { home });
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/no revision "origin\/nope" in the repository of .*tasks \(run `git fetch` there first\?\)/);
    const dash = await jobctl(['plan', '--rev=--output=/tmp/x'], { home });
    expect(dash.code).not.toBe(0);
    expect(dash.stderr).toMatch(/bad revision "--output=\/tmp\/x"/);
  }, 30_000);

  it('plan --dir: another directory, read where it is', async () => {
    const next = path.join(root.dir, 'next');
    fs.mkdirSync(next, { mode: 0o755 });
    fs.writeFileSync(path.join(next, 'app.yaml'), V1.replace('sleep 1000\n  tick', 'sleep 1000\n    instances: 2\n  tick'), { mode: 0o644 });
    const r = await jobctl(['plan', '--dir', next], { home });
    expect(r.stdout).toBe([`plan of dir ${next} against what runs:`, '~ web  (rescale, processes started or stopped to the new count: instances)', '2 unchanged'].join('\n'));
  }, 30_000);

  it('plan --dir of a file is an error, not a plan that stops every task', async () => {
    const file = path.join(root.dir, 'not-a-dir.yaml');
    fs.writeFileSync(file, V1);
    const r = await jobctl(['plan', '--dir', file], { home });
    expect(r.code).not.toBe(0);
    expect(r.stdout).not.toMatch(/stop and remove/);
    expect(r.stderr).toMatch(/not-a-dir\.yaml is not a directory/);
  }, 30_000);

  it('fleet sync --plan: each host fetches and shows what its pull would do; nothing is pulled', async () => {
    fs.writeFileSync(path.join(home, 'fleet.yaml'), 'hosts:\n  here: local\n');
    const head = git(home, 'rev-parse', '--short', 'HEAD').trim();
    const upstream = git(home, 'rev-parse', '--short', 'origin/main').trim();
    const r = await jobctl(['fleet', 'sync', '--plan'], { home });
    expect({ code: r.code, err: r.stderr }).toEqual({ code: 0, err: '' });
    expect(r.stdout).toBe([
      `here: ${head} -> ${upstream}, the pull would:`,
      '  + added  (start)',
      '  - gone  (stop and remove)',
      '  ~ tick  (applied in place, processes kept: description)',
      '  ~ web  (restart: command)',
    ].join('\n'));
    expect(git(home, 'rev-parse', '--short', 'HEAD').trim()).toBe(head);
  }, 60_000);

  it('the daemon log says when a broken file is valid again, and what was applied', async () => {
    const file = path.join(home, 'tasks/extra.yaml');
    fs.writeFileSync(file, 'tasks:\n  fixed:\n    command: sleep 1000\n    instances: many\n');
    await waitFor(() => /tasks\/extra\.yaml:\d+:\d+ task "fixed"/.test(d.output()), 20_000, 'the error in the log');
    fs.writeFileSync(file, 'tasks:\n  fixed:\n    command: sleep 1000\n');
    await waitFor(() => d.output().includes('tasks/extra.yaml is valid again; applied: +fixed'), 20_000, `"valid again" in the log:\n${d.output()}`);
    fs.rmSync(file);
  }, 60_000);

  it('a broken file deleted is logged as removed, not as valid again', async () => {
    const file = path.join(home, 'tasks/doomed.yaml');
    fs.writeFileSync(file, 'tasks:\n  doomed:\n    command: sleep 1000\n    instances: many\n');
    await waitFor(() => /tasks\/doomed\.yaml:\d+:\d+ task "doomed"/.test(d.output()), 20_000, 'the error in the log');
    fs.rmSync(file);
    await waitFor(() => d.output().includes('tasks/doomed.yaml was removed, and its errors with it'), 20_000, `"was removed" in the log:\n${d.output()}`);
    expect(d.output()).not.toContain('tasks/doomed.yaml is valid again');
  }, 60_000);
});
