import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readRunFile } from '../../src/runtime/run-history-file.js';
import { appendJsonLines } from '../../src/runtime/jsonl.js';
import { onRecreatedDir } from '../../src/runtime/recreated-dirs.js';
import { tempDirs } from '../helpers/temp.js';

const temps = tempDirs();
afterAll(() => temps.cleanup());

describe('record files in a damaged state/', () => {
  it('a history file that is a directory is a coded error naming it, not "EISDIR"', () => {
    const file = path.join(temps.dir(), 'w.jsonl');
    fs.mkdirSync(file);
    expect(() => readRunFile(file, 'w')).toThrow(expect.objectContaining({ code: 'IO_ERROR', message: expect.stringMatching(/w\.jsonl is a directory, not a record file/) }));
  });

  it('an append into a removed directory creates it again and says so once', () => {
    const dir = path.join(temps.dir(), 'runs');
    const said: string[] = [];
    const off = onRecreatedDir((d) => said.push(d));
    try {
      appendJsonLines(path.join(dir, 'w.jsonl'), [{ a: 1 }]);
      appendJsonLines(path.join(dir, 'w.jsonl'), [{ a: 2 }]);
    } finally {
      off();
    }
    expect(fs.readFileSync(path.join(dir, 'w.jsonl'), 'utf8')).toBe('{"a":1}\n{"a":2}\n');
    expect(said).toEqual([dir]);
  });

  it('an append never follows a symlink planted in place of the file', () => {
    const dir = temps.dir();
    fs.writeFileSync(path.join(dir, 'victim'), 'keep\n');
    fs.symlinkSync(path.join(dir, 'victim'), path.join(dir, 'w.jsonl'));
    expect(() => appendJsonLines(path.join(dir, 'w.jsonl'), [{ a: 1 }])).toThrow(/ELOOP/);
    expect(fs.readFileSync(path.join(dir, 'victim'), 'utf8')).toBe('keep\n');
  });
});
