import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { StatusResult } from '../../src/shared/protocol.js';
import { jobctl } from '../helpers/cli.js';
import { cleanupDaemons, makeHome, startTestDaemon } from '../helpers/daemon.js';
import { hasTool } from '../helpers/tools.js';
import { waitFor } from '../helpers/wait.js';

afterEach(async () => {
  expect(await cleanupDaemons()).toEqual([]);
});

const GOOD = 'tasks:\n  a:\n    command: sleep 1000\n';
const status = async (home: string): Promise<StatusResult> => JSON.parse((await jobctl(['status', '--json'], { home })).stdout);
const names = (s: StatusResult) => s.tasks.map((t) => t.name).sort();

/** Root reads a mode-000 file anyway: then the daemon runs as nobody, so the permission applies to it. */
const asRoot = process.getuid?.() === 0;
const NOBODY = { uid: 65534, gid: 65534 };
function chownTree(dir: string): void {
  if (!asRoot) return;
  fs.chownSync(dir, NOBODY.uid, NOBODY.gid);
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) chownTree(p);
    else fs.lchownSync(p, NOBODY.uid, NOBODY.gid);
  }
}

describe('the watcher, without `jobctl reload`', () => {
  it.runIf(!asRoot || hasTool('setpriv'))('a file that becomes readable (chmod 000 -> 644) is loaded, and its error clears', async () => {
    const home = makeHome({ 'tasks/a.yaml': GOOD, 'tasks/b.yaml': 'tasks:\n  b:\n    command: sleep 1000\n' });
    fs.chmodSync(path.join(home, 'tasks/b.yaml'), 0o000);
    chownTree(home);
    await startTestDaemon(home, {}, asRoot ? { asUser: NOBODY } : {});
    let s = await status(home);
    expect(names(s)).toEqual(['a']);
    expect(s.daemon.configErrors).toEqual([expect.objectContaining({ file: 'tasks/b.yaml', message: expect.stringMatching(/^cannot read: EACCES/) })]);
    // first start: nothing of b.yaml was ever loaded, so no "last good version" is claimed
    const text = (await jobctl(['status'], { home })).stdout;
    expect(text).toContain('1 config error; tasks/b.yaml is not loaded until fixed:');
    expect(text).not.toMatch(/last good/);

    fs.chmodSync(path.join(home, 'tasks/b.yaml'), 0o644);
    await waitFor(async () => (await status(home)).daemon.configErrors.length === 0, 10_000, 'error cleared');
    s = await status(home);
    expect(names(s)).toEqual(['a', 'b']);

    // and back: unreadable again is reported, and b's last good version keeps running
    fs.chmodSync(path.join(home, 'tasks/b.yaml'), 0o000);
    await waitFor(async () => (await status(home)).daemon.configErrors.length === 1, 10_000, 'error reported');
    expect((await jobctl(['status'], { home })).stdout).toContain('1 config error; the last good version of tasks/b.yaml keeps running:');
    expect(names(await status(home))).toEqual(['a', 'b']);
  });

  it('a broken symlink added is reported; removed, the error clears; its target appearing loads it', async () => {
    const home = makeHome({ 'tasks/a.yaml': GOOD });
    await startTestDaemon(home);
    const link = path.join(home, 'tasks/linked.yaml');
    const target = path.join(home, 'elsewhere/linked.yaml');
    fs.symlinkSync(target, link);
    await waitFor(async () => (await status(home)).daemon.configErrors.length === 1, 10_000, 'broken symlink reported');
    expect((await status(home)).daemon.configErrors[0]).toMatchObject({ file: 'tasks/linked.yaml', message: expect.stringMatching(/^cannot read: ENOENT/) });
    fs.unlinkSync(link);
    await waitFor(async () => (await status(home)).daemon.configErrors.length === 0, 10_000, 'error cleared');

    fs.symlinkSync(target, link);
    await waitFor(async () => (await status(home)).daemon.configErrors.length === 1, 10_000, 'broken again');
    fs.mkdirSync(path.dirname(target));
    fs.writeFileSync(target, 'tasks:\n  via-link:\n    command: sleep 1000\n');
    await waitFor(async () => names(await status(home)).includes('via-link'), 10_000, 'target loaded');
    expect((await status(home)).daemon.configErrors).toEqual([]);
  });
});
