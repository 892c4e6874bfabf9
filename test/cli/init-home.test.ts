import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { initHome } from '../../src/cli/init-home.js';
import { TrustChecker } from '../../src/config/file-trust.js';

describe('initHome', () => {
  const dirs: string[] = [];
  afterEach(() => { for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true }); });

  it('makes a home the daemon trusts even under umask 002 (no group/other write on what it creates)', () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'jobctl-init-'));
    dirs.push(base);
    const old = process.umask(0o002);
    let home: string;
    try { home = initHome(path.join(base, 'jobs'), () => '../schema/tasks.schema.json').home; } finally { process.umask(old); }
    const tasks = path.join(home, 'tasks');
    for (const p of [home, tasks, path.join(tasks, 'example.yaml'), path.join(home, '.gitignore')]) {
      expect((fs.statSync(p).mode & 0o022).toString(8), p).toBe('0');
    }
    // as root (uid 0) the daemon refuses group-writable task files: this home must pass
    const checker = new TrustChecker(tasks, { uid: 0 });
    expect(checker.checkRoot()).toBeUndefined();
    expect(checker.check(path.join(tasks, 'example.yaml'))).toBeUndefined();
  });
});
