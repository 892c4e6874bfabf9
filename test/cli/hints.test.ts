import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { noHomeError } from '../../src/cli/commands/dial-stdio.js';
import { nextCommand } from '../../src/cli/commands/init.js';
import { runThereCommand } from '../../src/cli/context.js';
import { didYouMean } from '../../src/shared/suggest.js';
import { parseAddress } from '../../src/shared/address.js';
import { jobctl } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';

const tmp = tempDir('jobctl-hints-');
afterAll(() => tmp.cleanup());

describe('hints that work as pasted', () => {
  it('`status hi` suggests hi-worker: a name the input is the first part of', () => {
    expect(didYouMean('hi', ['hi-worker', 'report'])).toBe(' (did you mean "hi-worker"?)');
    expect(didYouMean('worker', ['hi-worker', 'report'])).toBe(' (did you mean "hi-worker"?)');
    expect(didYouMean('wbe', ['web', 'hi-worker'])).toBe(' (did you mean "web"?)');
    expect(didYouMean('zz', ['hi-worker', 'report'])).toBe('');
  });

  it('init prints a next command that works from where it ran and after `cd` into the home', () => {
    const home = path.join(tmp.dir, 'my jobs');
    expect(nextCommand('my jobs', tmp.dir)).toBe(`cd '${home}' && jobctl up && jobctl status`);
    expect(nextCommand(home, home)).toBe('jobctl up && jobctl status');
    // Run from the printed line in a shell: after the cd, the home is the current directory.
    fs.mkdirSync(home);
    const cdPart = nextCommand('my jobs', tmp.dir).split(' && jobctl')[0]!;
    expect(execFileSync('/bin/sh', ['-c', `${cdPart} && pwd`], { cwd: os.tmpdir(), encoding: 'utf8' }).trim()).toBe(home);
  });

  it('e2e: `jobctl init ~/jobs` prints `cd <absolute home> && jobctl up …`', async () => {
    const r = await jobctl(['init', 'jobs2'], { cwd: tmp.dir, env: { JOBCTL_HOME: '' } });
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').at(-1)).toBe(`next: cd ${path.join(tmp.dir, 'jobs2')} && jobctl up && jobctl status   (\`jobctl help keys\` lists every task key)`);
  });

  it('a command refused over --host says how to run it there, with the port and the home', () => {
    const a = parseAddress('ssh://root@127.0.0.1:2222/srv/jobs');
    expect(runThereCommand(a, ['--host', 'ssh://root@127.0.0.1:2222/srv/jobs', 'up'])).toBe("ssh -p 2222 root@127.0.0.1 'jobctl --home /srv/jobs up'");
    expect(runThereCommand(parseAddress('ssh://web1'), ['--host', 'ssh://web1', 'validate'])).toBe("ssh web1 'jobctl validate'");
  });

  it('the refused line, pasted into a shell, runs what was asked on the far side (argv checked with a stand-in ssh)', () => {
    const a = parseAddress('ssh://root@127.0.0.1:2222/srv/jobs');
    const line = runThereCommand(a, ['--host', 'x', 'add', 'x', '--schedule', '* * * * *', '--', 'echo', "it's"]);
    // A stand-in ssh: its last argument is the far command line, which the far shell splits.
    const bin = path.join(tmp.dir, 'bin');
    fs.mkdirSync(bin, { recursive: true });
    fs.writeFileSync(path.join(bin, 'ssh'), '#!/bin/sh\nshift $(($# - 1))\njobctl() { for a in "$@"; do printf "[%s]" "$a"; done; }\neval "$1"\n', { mode: 0o755 });
    const out = execFileSync('/bin/sh', ['-c', line], { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, encoding: 'utf8' });
    expect(out).toBe("[--home][/srv/jobs][add][x][--schedule][* * * * *][--][echo][it's]");
  });

  it('a far home that does not exist: "no jobctl home at … on <host>", not "start it with jobctl up"', () => {
    const missing = path.join(tmp.dir, 'nope');
    expect(noHomeError(missing)?.message).toBe(`no jobctl home at ${missing} on ${os.hostname()} (${missing} does not exist): make one there with \`jobctl init ${missing}\`, or name an existing home in the address (ssh://host/path/to/home)`);
    fs.mkdirSync(path.join(tmp.dir, 'home', 'tasks'), { recursive: true });
    expect(noHomeError(path.join(tmp.dir, 'home'))).toBeUndefined();
  });
});
