import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PLAN_REV_MAX_BYTES, revisionSource } from '../../src/daemon/plan-source.js';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'jobctl-plan-src-'));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

function repo(files: Record<string, string | number>): string {
  const dir = fs.mkdtempSync(path.join(scratch, 'tasks-'));
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(dir, name);
    fs.writeFileSync(file, typeof content === 'number' ? '' : content);
    if (typeof content === 'number') fs.truncateSync(file, content);
  }
  const git = (...a: string[]) => execFileSync('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@t', ...a], { stdio: 'pipe' });
  git('init', '-q');
  git('add', '.');
  git('commit', '-qm', 'tasks');
  return dir;
}

describe('plan --rev writes a revision out under state/', () => {
  it('as tasks/ had it, and removes it on close', async () => {
    const tasks = repo({ 'a.yaml': 'tasks:\n  a:\n    command: sleep 1000\n' });
    const state = fs.mkdtempSync(path.join(scratch, 'state-'));
    const src = await revisionSource(tasks, 'HEAD', state);
    expect(fs.readFileSync(path.join(src.dir, 'a.yaml'), 'utf8')).toContain('sleep 1000');
    expect(src.label).toMatch(/^rev HEAD \([0-9a-f]+\)$/);
    src.close();
    expect(fs.readdirSync(state)).toEqual([]);
  });

  it('refuses a revision that holds more than it writes out, before writing anything', async () => {
    // A sparse file: git stores its zeros small, the checkout would be the full size.
    const tasks = repo({ 'a.yaml': 'tasks: {}\n', 'dump.bin': PLAN_REV_MAX_BYTES + 1 });
    const state = fs.mkdtempSync(path.join(scratch, 'state-'));
    await expect(revisionSource(tasks, 'HEAD', state)).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/holds 65 MiB, more than `plan --rev` writes out \(64 MiB\).*plan --dir/) });
    expect(fs.readdirSync(state)).toEqual([]);
  }, 60_000);
});
