import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StateStore } from '../../src/runtime/state-store.js';
import { tempDir } from '../helpers/temp.js';
import { waitFor } from '../helpers/wait.js';

const temps: Array<() => void> = [];
afterAll(() => temps.forEach((c) => c()));
function dbPath(): string {
  const t = tempDir();
  temps.push(t.cleanup);
  return path.join(t.dir, 'state', 'db.json');
}

describe('StateStore', () => {
  it('coalesces many changes into few atomic writes, through typed accessors', async () => {
    const file = dbPath();
    const store = await StateStore.open(file, { writeDelayMs: 50 });
    for (let i = 0; i < 1000; i++) store.setLastScheduled(`t${i}`, i);
    store.setManualScale('w', 4);
    store.setManualScale('gone', 2);
    expect(store.deleteManualScale('gone')).toBe(true);
    expect(store.deleteManualScale('gone')).toBe(false);
    await store.close();
    expect(store.writes).toBe(1);
    const again = await StateStore.open(file);
    expect(again.lastScheduled('t999')).toBe(999);
    expect(again.lastScheduled('nope')).toBeUndefined();
    expect(again.manualScales()).toEqual([['w', 4]]);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toMatchObject({ version: 2 });
    await again.close();
    await again.close();
  });

  it('moves a corrupt file aside with a warning and starts clean', async () => {
    const file = dbPath();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '{"version":2,"lastScheduled":{'); // torn write
    const warnings: string[] = [];
    const store = await StateStore.open(file, { onWarning: (w) => warnings.push(w) });
    expect(store.manualScales()).toEqual([]);
    expect(warnings[0]).toMatch(/was unreadable .*moved it to .*db\.json\.corrupt-\d+ and started clean/);
    const aside = fs.readdirSync(path.dirname(file)).filter((f) => f.startsWith('db.json.corrupt-'));
    expect(aside).toHaveLength(1);
    store.setLastScheduled('x', 1);
    await store.close();
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).lastScheduled).toEqual({ x: 1 });
  });

  it('a db.json that cannot be written is said once, not at every retry; a write that works again is said too', async () => {
    const file = dbPath();
    const warnings: string[] = [];
    const store = await StateStore.open(file, { writeDelayMs: 5, onWarning: (w) => warnings.push(w) });
    const tmp = path.join(path.dirname(file), '.db.json.tmp'); // lowdb's temp file: a directory, so the write fails
    fs.mkdirSync(tmp, { recursive: true });
    store.setLastScheduled('x', 1);
    await waitFor(() => warnings.length > 0, 10_000, 'the first failed write');
    // A lower bound, not an ordering: retries every 5 ms meanwhile (fewer under load) say nothing more.
    await new Promise((r) => setTimeout(r, 300));
    expect(warnings).toEqual([expect.stringMatching(/could not write .*db\.json/)]);
    fs.rmdirSync(tmp);
    await store.flush();
    await waitFor(() => warnings.length >= 2, 10_000, 'the write that works again');
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).lastScheduled).toEqual({ x: 1 });
    expect(warnings).toHaveLength(2);
    expect(warnings[1]).toMatch(/db\.json.* written again/);
    await store.close();
  });

  it('a symlink or hard link planted at the temp file is never written through', async () => {
    const file = dbPath();
    const store = await StateStore.open(file, { writeDelayMs: 5 });
    const dir = path.dirname(file);
    const victim = path.join(dir, 'victim');
    const linked = path.join(dir, 'linked');
    fs.writeFileSync(victim, 'precious\n');
    fs.writeFileSync(linked, 'precious too\n');
    fs.symlinkSync(victim, path.join(dir, '.db.json.tmp'));
    store.setLastScheduled('x', 1);
    await store.flush();
    expect(fs.readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(fs.lstatSync(file).isFile()).toBe(true);
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).lastScheduled).toEqual({ x: 1 });
    fs.linkSync(linked, path.join(dir, '.db.json.tmp'));
    store.setLastScheduled('x', 2);
    await store.close();
    expect(fs.readFileSync(linked, 'utf8')).toBe('precious too\n');
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).lastScheduled).toEqual({ x: 2 });
  });

  it('a scale override or fire time out of range in db.json is dropped with a warning, never applied', async () => {
    for (const version of [2]) {
      const file = dbPath();
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const odd = { version, manualScale: { neg: -1, half: 2.5, huge: 1e7, str: '3', ok: 3 }, lastScheduled: { inf: 1e400, str: '5', ok: 7 } };
      fs.writeFileSync(file, JSON.stringify(odd).replace('1e+400', '1e400'));
      const warnings: string[] = [];
      const store = await StateStore.open(file, { onWarning: (w) => warnings.push(w) });
      expect(store.manualScales(), `version ${version}`).toEqual([['ok', 3]]);
      expect(store.lastScheduledEntries(), `version ${version}`).toEqual([['ok', 7]]);
      expect(warnings.join('\n')).toMatch(/neg.*half.*huge/);
      await store.close();
    }
  });

  it('treats a file of the wrong shape as corrupt', async () => {
    const file = dbPath();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '[1,2,3]');
    const warnings: string[] = [];
    const store = await StateStore.open(file, { onWarning: (w) => warnings.push(w) });
    expect(store.lastScheduled('x')).toBeUndefined();
    expect(warnings).toHaveLength(1);
    await store.close();
  });

  it('child records are in the journal on disk when recordChild returns, and survive a reopen', async () => {
    const file = dbPath();
    const store = await StateStore.open(file);
    store.recordChild('w/0', 'w', { pid: 10, pgid: 10, startTime: 99 });
    store.recordChild('c/run/1', 'c', { pid: 11, pgid: 11, startTime: 100, cgroup: '/sys/fs/cgroup/jobctl/c/run-1' });
    // No flush, no close: a kill -9 here must not lose them.
    const journal = fs.readFileSync(path.join(path.dirname(file), 'children.jsonl'), 'utf8');
    expect(journal.trim().split('\n')).toHaveLength(2);
    store.forgetChild('w/0');
    const again = await StateStore.open(file);
    expect(again.children()).toEqual({ 'c/run/1': { pid: 11, pgid: 11, startTime: 100, task: 'c', cgroup: '/sys/fs/cgroup/jobctl/c/run-1' } });
    again.clearChildren();
    expect((await StateStore.open(file)).children()).toEqual({});
    await store.close();
    await again.close();
  });

  it('the journal stays small: compacted when mostly cancelled entries', async () => {
    const file = dbPath();
    const store = await StateStore.open(file);
    store.recordChild('keep', 'k', { pid: 4242, pgid: 4242, startTime: 1 }); // (a record must look like a child's: pid > 1, a start time)
    for (let i = 0; i < 1000; i++) {
      store.recordChild(`c/run/${i}`, 'c', { pid: 100 + i, pgid: 100 + i, startTime: i });
      store.forgetChild(`c/run/${i}`);
    }
    const lines = fs.readFileSync(store.journal.file, 'utf8').trim().split('\n');
    expect(lines.length).toBeLessThanOrEqual(65);
    expect(store.journal.compactions).toBeGreaterThan(10);
    expect(Object.keys((await StateStore.open(file)).children())).toEqual(['keep']);
    await store.close();
  });

  it('a torn last journal line is skipped with a warning; the next append starts a line of its own', async () => {
    const file = dbPath();
    const store = await StateStore.open(file);
    store.recordChild('a', 'a', { pid: 4201, pgid: 4201, startTime: 1 });
    fs.appendFileSync(store.journal.file, '{"op":"add","key":"b","child":{"pid":2,');
    const warnings: string[] = [];
    const again = await StateStore.open(file, { onWarning: (w) => warnings.push(w) });
    expect(warnings).toEqual([expect.stringMatching(/skipped 1 unreadable line/)]);
    again.recordChild('c', 'c', { pid: 4203, pgid: 4203, startTime: 3 });
    expect(Object.keys((await StateStore.open(file)).children())).toEqual(['a', 'c']);
    await store.close();
    await again.close();
  });

  it('a version-1 db.json (development builds only) is moved aside, kept whole, and the store starts clean', async () => {
    const file = dbPath();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const v1 = JSON.stringify({ version: 1, runs: { report: [] }, lastScheduled: { report: 1763700120000 }, manualScale: { worker: 3 } });
    fs.writeFileSync(file, v1);
    const warnings: string[] = [];
    const store = await StateStore.open(file, { onWarning: (w) => warnings.push(w) });
    expect(warnings).toEqual([expect.stringMatching(/was unreadable \(version 1, from a development build .*\); moved it to .*db\.json\.corrupt-\d+ and started clean/)]);
    expect(store.lastScheduled('report')).toBeUndefined();
    expect(store.manualScale('worker')).toBeUndefined();
    const aside = fs.readdirSync(path.dirname(file)).filter((f) => f.startsWith('db.json.corrupt-'));
    expect(aside.map((f) => fs.readFileSync(path.join(path.dirname(file), f), 'utf8'))).toEqual([v1]);
    await store.close();
  });
});
