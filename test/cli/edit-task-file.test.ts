import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { applyTaskFileEdit } from '../../src/cli/edit-task-file.js';

describe('applyTaskFileEdit', () => {
  const dirs: string[] = [];
  afterEach(() => { for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true }); });
  const io = { out: () => {}, err: () => {}, color: false };

  it('an edit of one file is not refused for errors another file already had', () => {
    const tasks = fs.mkdtempSync(path.join(os.tmpdir(), 'jobctl-edit-'));
    dirs.push(tasks);
    fs.writeFileSync(path.join(tasks, 'broken.yaml'), 'tasks:\n  tick:\n    schedule: "* * * * *"\n    command: echo\n    timout: 5s\n');
    const file = path.join(tasks, 'ok.yaml');
    const before = 'tasks:\n  a:\n    command: sleep 100\n';
    fs.writeFileSync(file, before);
    const after = 'tasks:\n  a:\n    command: sleep 200\n';
    applyTaskFileEdit(io, tasks, file, before, after, 'edit a');
    expect(fs.readFileSync(file, 'utf8')).toBe(after);
  });

  it('still refuses an edit that adds an error', () => {
    const tasks = fs.mkdtempSync(path.join(os.tmpdir(), 'jobctl-edit-'));
    dirs.push(tasks);
    const file = path.join(tasks, 'ok.yaml');
    const before = 'tasks:\n  a:\n    command: sleep 100\n';
    fs.writeFileSync(file, before);
    expect(() => applyTaskFileEdit(io, tasks, file, before, 'tasks:\n  a:\n    comand: x\n', 'edit a')).toThrow(/not written/);
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
  });
});
