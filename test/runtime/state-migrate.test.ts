import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ChildJournal } from '../../src/runtime/child-journal.js';
import { migrateV1, type DbV1 } from '../../src/runtime/state-migrate.js';
import { ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';

const temps: Array<() => void> = [];
afterAll(() => temps.forEach((c) => c()));

describe('migrateV1', () => {
  it('a kill -9 while the backup is copied never leaves half a backup that a second start takes for whole', () => {
    const t = tempDir();
    temps.push(t.cleanup);
    const file = path.join(t.dir, 'db.json');
    fs.copyFileSync(path.join(ROOT, 'test/fixtures/state-v1/db.json'), file);
    const original = fs.readFileSync(file, 'utf8');
    const old = JSON.parse(original) as DbV1;
    const journal = ChildJournal.open(path.join(t.dir, 'children.jsonl'));
    // The copy dies half-way (what a kill -9 of a large db.json's copy leaves).
    const spy = vi.spyOn(fs, 'copyFileSync').mockImplementationOnce((_src, dest) => {
      fs.writeFileSync(dest as string, original.slice(0, 40));
      throw new Error('killed');
    });
    expect(() => migrateV1(file, old, path.join(t.dir, 'runs'), journal)).toThrow('killed');
    spy.mockRestore();
    const m = migrateV1(file, old, path.join(t.dir, 'runs'), journal);
    expect(fs.readFileSync(m.backup, 'utf8')).toBe(original);
    journal.close();
  });
});
