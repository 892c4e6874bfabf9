import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigState } from '../../src/daemon/config-state.js';
import { tempDir, writeFiles } from '../helpers/temp.js';

const temps: Array<() => void> = [];
afterAll(() => temps.forEach((c) => c()));

function dir(files: Record<string, string>) {
  const t = tempDir();
  temps.push(t.cleanup);
  const tasks = path.join(t.dir, 'tasks');
  fs.mkdirSync(tasks);
  writeFiles(tasks, files);
  return tasks;
}

const names = (c: ConfigState) => c.effective.tasks.map((t) => t.name).sort();

describe('ConfigState: the last good config stays in force', () => {
  it('an invalid file keeps its last good tasks; other files apply; fixing it applies it', async () => {
    const tasks = dir({ 'a.yaml': 'tasks:\n  a1:\n    command: "true"\n', 'b.yaml': 'tasks:\n  b1:\n    command: "true"\n' });
    const c = new ConfigState(tasks);
    c.commit(await c.load());
    expect(names(c)).toEqual(['a1', 'b1']);
    writeFiles(tasks, { 'a.yaml': 'tasks:\n  a1:\n    comand: "true"\n', 'b.yaml': 'tasks:\n  b2:\n    command: "true"\n' });
    const broken = await c.load();
    // load() computes without committing
    expect(names(c)).toEqual(['a1', 'b1']);
    c.commit(broken);
    expect(names(c)).toEqual(['a1', 'b2']);
    expect(c.effective.keptFiles).toEqual(['tasks/a.yaml']);
    expect(c.effective.errors.some((e) => e.file === 'tasks/a.yaml' && e.task === 'a1' && /comand/.test(`${e.key} ${e.message}`))).toBe(true);
    writeFiles(tasks, { 'a.yaml': 'tasks:\n  a2:\n    command: "true"\n' });
    c.commit(await c.load());
    expect(names(c)).toEqual(['a2', 'b2']);
    expect(c.effective.errors).toEqual([]);
  });

  it('a deleted file takes its tasks; a vanished directory keeps everything and says so', async () => {
    const tasks = dir({ 'a.yaml': 'tasks:\n  a1:\n    command: "true"\n', 'b.yaml': 'tasks:\n  b1:\n    command: "true"\n' });
    const c = new ConfigState(tasks);
    c.commit(await c.load());
    fs.rmSync(path.join(tasks, 'b.yaml'));
    c.commit(await c.load());
    expect(names(c)).toEqual(['a1']);
    fs.rmSync(tasks, { recursive: true });
    c.commit(await c.load());
    expect(names(c)).toEqual(['a1']);
    expect(c.effective.errors.length).toBeGreaterThan(0);
    expect(c.effective.keptFiles).toEqual(['tasks']);
  });

  it('a file that was never valid contributes nothing', async () => {
    const tasks = dir({ 'a.yaml': 'tasks:\n  a1:\n    nope: 1\n' });
    const c = new ConfigState(tasks);
    c.commit(await c.load());
    expect(names(c)).toEqual([]);
    expect(c.effective.keptFiles).toEqual([]);
    expect(c.effective.errors.length).toBeGreaterThan(0);
  });

  it('a reader started ahead (a file changed) reads the files as they are when asked', async () => {
    const tasks = dir({ 'a.yaml': 'tasks:\n  a1:\n    command: "true"\n' });
    const c = new ConfigState(tasks);
    c.reader.prepare();
    writeFiles(tasks, { 'b.yaml': 'tasks:\n  b1:\n    command: "true"\n' });
    c.commit(await c.load());
    expect(names(c)).toEqual(['a1', 'b1']);
    c.commit(await c.load()); // and a cold one after it
    expect(names(c)).toEqual(['a1', 'b1']);
  });
});
