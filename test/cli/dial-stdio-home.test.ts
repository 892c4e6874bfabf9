import { describe, expect, it } from 'vitest';
import { homeAsked } from '../../src/cli/commands/dial-stdio.js';
import { dialCommand } from '../../src/api/ssh-stream.js';

/**
 * sshd(8), authorized_keys `command="command"`: "The command supplied by the user (if any) is
 * ignored … The command originally supplied by the client is available in the
 * SSH_ORIGINAL_COMMAND environment variable" (openssh-portable sshd.8; session.c sets it
 * after SetEnv, so a client cannot set it). The bridge reads the home the client asked for there.
 */
describe('dial-stdio: the home a client asked for behind a forced command', () => {
  it('reads --home of the command `--host ssh://host/HOME` sends, however it is quoted', () => {
    for (const home of ['/srv/jobctl', '/srv/my jobs', "/srv/it's"]) {
      expect(homeAsked(dialCommand({ kind: 'ssh', host: 'h', home }, '/usr/bin/jobctl'))).toBe(home);
    }
    expect(homeAsked('jobctl dial-stdio --home=/a')).toBe('/a');
    expect(homeAsked('jobctl --home /a dial-stdio')).toBe('/a');
  });

  it('no forced command, no home asked, or not a dial-stdio: nothing to compare', () => {
    expect(homeAsked(undefined)).toBeUndefined();
    expect(homeAsked('')).toBeUndefined();
    expect(homeAsked('jobctl dial-stdio')).toBeUndefined();
    expect(homeAsked('rm -rf --home /x')).toBeUndefined();
  });
});
