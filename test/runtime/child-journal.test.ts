import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ChildJournal } from '../../src/runtime/child-journal.js';
import { tempDir } from '../helpers/temp.js';

const temps: Array<() => void> = [];
afterAll(() => temps.forEach((c) => c()));
function journalPath(): string {
  const t = tempDir();
  temps.push(t.cleanup);
  return path.join(t.dir, 'children.jsonl');
}

describe('ChildJournal', () => {
  it('a journal path replaced by a symlink is never followed', () => {
    const file = journalPath();
    const target = `${file}.victim`;
    fs.writeFileSync(target, 'precious\n');
    fs.symlinkSync(target, file);
    const j = ChildJournal.open(file, { onWarning: () => undefined });
    j.add('w/0', { pid: 10, pgid: 10, startTime: 1, task: 'w' });
    j.add('w/1', { pid: 11, pgid: 11, startTime: 2, task: 'w' });
    j.close();
    expect(fs.readFileSync(target, 'utf8')).toBe('precious\n');
  });

  it('a journal removed while open (rm -rf state/) is written again, whole, at the next record', () => {
    const file = journalPath();
    const j = ChildJournal.open(file, { onWarning: () => undefined });
    j.add('w/0', { pid: 10, pgid: 10, startTime: 1, task: 'w' });
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
    j.add('w/1', { pid: 11, pgid: 11, startTime: 2, task: 'w' });
    // A daemon killed now: the next one must find both children to sweep.
    expect(Object.keys(ChildJournal.open(file).children()).sort()).toEqual(['w/0', 'w/1']);
    j.close();
  });

  it('children recorded while the journal could not be written are on disk once it can be again', () => {
    const file = journalPath();
    fs.mkdirSync(file); // the write fails (EISDIR), as on a full or read-only disk
    const warnings: string[] = [];
    const j = ChildJournal.open(file, { onWarning: (w) => warnings.push(w) });
    j.add('w/0', { pid: 10, pgid: 10, startTime: 1, task: 'w' });
    expect(warnings.at(-1)).toMatch(/could not write the child journal .*EISDIR/);
    fs.rmdirSync(file); // writable again
    j.add('w/1', { pid: 11, pgid: 11, startTime: 2, task: 'w' });
    // A daemon killed now: the next one must sweep both.
    expect(Object.keys(ChildJournal.open(file).children()).sort()).toEqual(['w/0', 'w/1']);
    j.remove('w/0');
    expect(Object.keys(ChildJournal.open(file).children())).toEqual(['w/1']);
    j.close();
  });
  it('a journal that cannot be written is said once, not at every child; a write that works again is said too', () => {
    const file = journalPath();
    const warnings: string[] = [];
    const j = ChildJournal.open(file, { onWarning: (w) => warnings.push(w) });
    fs.mkdirSync(`${file}.d`);
    fs.renameSync(`${file}.d`, file); // (the file was never created: nothing appended yet)
    for (let i = 0; i < 50; i++) j.add(`c/run/${i}`, { pid: 100 + i, pgid: 100 + i, startTime: i, task: 'c' });
    expect(warnings).toEqual([expect.stringMatching(/could not write the child journal/)]);
    fs.rmdirSync(file);
    j.remove('c/run/0');
    expect(warnings).toHaveLength(2);
    expect(warnings[1]).toMatch(/child journal .* written again/);
    expect(Object.keys(ChildJournal.open(file).children())).toHaveLength(49);
    j.close();
  });

  it('the temp file of a compaction cut by kill -9 is removed by the next daemon', () => {
    const file = journalPath();
    fs.writeFileSync(`${path.dirname(file)}/.children.jsonl.999999.tmp`, '{"op":"add"}\n');
    ChildJournal.open(file).close();
    expect(fs.readdirSync(path.dirname(file)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });
});
