import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { FileRunHistory } from '../../src/runtime/run-history-file.js';
import type { RunRecord } from '../../src/shared/types.js';
import { ROOT } from '../helpers/cli.js';
import { tempDirs } from '../helpers/temp.js';
import { waitFor } from '../helpers/wait.js';

const temps = tempDirs();
afterAll(temps.cleanup);
const dir = temps.dir;

let seq = 0;
function run(task: string, over: Partial<RunRecord> = {}): RunRecord {
  seq++;
  return { id: `r${String(seq).padStart(6, '0')}`, task, scheduledAt: seq * 1000, startedAt: seq * 1000 + 1, attempt: 1, trigger: 'schedule', state: 'running', ...over };
}
const end = (r: RunRecord, state: RunRecord['state'] = 'succeeded'): RunRecord => ({ ...r, state, endedAt: (r.startedAt ?? 0) + 5, exitCode: state === 'succeeded' ? 0 : 1 });
const openReal = fs.promises.open.bind(fs.promises);
const rmReal = fs.promises.rm.bind(fs.promises);
const lines = (file: string) => fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);

describe('FileRunHistory', () => {
  it('close() waits for the removal of a forgotten task\'s run logs (the daemon ends with process.exit)', async () => {
    const d = dir();
    const runLog = (task: string, id: string) => path.join(d, 'logs', task, `${id}.log`);
    const h = new FileRunHistory({ dir: d, runLog });
    fs.mkdirSync(path.join(d, 'logs', 't'), { recursive: true });
    for (let i = 0; i < 300; i++) fs.writeFileSync(runLog('t', `r${i}`), 'x');
    h.forget('t');
    await h.close();
    expect(fs.existsSync(path.join(d, 'logs', 't'))).toBe(false);
  });

  it('appends a line when a run is created and when it ends; the newest line of an id wins', () => {
    const h = new FileRunHistory({ dir: dir() });
    const a = run('t');
    h.write(a);
    expect(h.list('t')).toEqual([a]);
    expect(h.summary('t')).toMatchObject({ last: a, unfinished: [a], total: 1, retries: 0 });
    expect(h.summary('t').lastFinished).toBeUndefined();
    h.write(end(a));
    expect(lines(h.fileOf('t'))).toHaveLength(2);
    expect(h.list('t')).toEqual([end(a)]);
    expect(h.summary('t')).toMatchObject({ last: end(a), lastFinished: end(a), unfinished: [], total: 1 });
    // A skipped firing is kept and counted, but it is not the last finished run.
    const skip: RunRecord = { id: 'skip1', task: 't', scheduledAt: 1, attempt: 1, trigger: 'schedule', state: 'skipped', endedAt: 2 };
    h.write(skip);
    expect(h.summary('t')).toMatchObject({ lastFinished: end(a), total: 2 });
    // A fresh reader (a restarted daemon) sees the same.
    const again = new FileRunHistory({ dir: path.dirname(h.fileOf('t')) });
    expect(again.summary('t')).toEqual(h.summary('t'));
    expect(again.list('t', 1)).toEqual([skip]);
  });

  it('keeps the newest `keep` finished runs visible and rewrites only that task\'s file past 2 × keep, deleting dropped run logs', () => {
    const d = dir();
    const logs = path.join(d, 'logs');
    const runLog = (task: string, id: string) => path.join(logs, task, `${id}.log`);
    const h = new FileRunHistory({ dir: path.join(d, 'runs'), runLog });
    h.retain('t', 5);
    h.retain('other', 5);
    const o = run('other');
    h.write(end(o));
    const otherBefore = fs.statSync(h.fileOf('other')).mtimeMs;
    const ids: string[] = [];
    for (let i = 0; i < 11; i++) {
      const r = run('t', i % 3 === 2 ? { trigger: 'retry', attempt: 2 } : {});
      ids.push(r.id);
      fs.mkdirSync(path.join(logs, 't'), { recursive: true });
      fs.writeFileSync(runLog('t', r.id), 'x\n');
      h.write(r);
      h.write(end(r, i % 2 ? 'failed' : 'succeeded'));
      h.retain('t', 5);
      if (i === 9) {
        expect(h.rewrites).toBe(0);
        expect(lines(h.fileOf('t'))).toHaveLength(20);
        expect(h.list('t').map((x) => x.id)).toEqual(ids.slice(-5)); // only `keep` visible
        expect(h.summary('t')).toMatchObject({ total: 5 });
      }
    }
    expect(h.rewrites).toBe(1);
    expect(lines(h.fileOf('t'))).toHaveLength(5);
    expect(h.list('t').map((x) => x.id)).toEqual(ids.slice(-5));
    expect(h.list('t', 2).map((x) => x.id)).toEqual(ids.slice(-2));
    // retries among the kept: i = 8 (and 5, out of the window? 6..10 kept -> i = 8 only)
    expect(h.summary('t')).toMatchObject({ total: 5, retries: 1, lastFinished: { id: ids[10] } });
    expect(fs.statSync(h.fileOf('other')).mtimeMs).toBe(otherBefore);
    // The dropped runs' logs are deleted in the background: until that is done.
    const want = ids.slice(-5).map((id) => `${id}.log`);
    return waitFor(() => fs.readdirSync(path.join(logs, 't')).length === want.length, 10_000, 'dropped run logs deleted').then(() => {
      expect(fs.readdirSync(path.join(logs, 't')).sort()).toEqual(want);
    });
  });

  it('the bytes written per run do not grow with `keep`', () => {
    const cost = (keep: number) => {
      const h = new FileRunHistory({ dir: dir() });
      const total = keep * 6;
      for (let i = 0; i < total; i++) {
        const r = run('t');
        h.write(r);
        h.write(end(r));
        h.retain('t', keep);
      }
      const before = h.bytesWritten;
      for (let i = 0; i < keep * 4; i++) {
        const r = run('t');
        h.write(r);
        h.write(end(r));
        h.retain('t', keep);
      }
      return (h.bytesWritten - before) / (keep * 4);
    };
    const small = cost(5);
    const large = cost(500);
    expect(large / small).toBeLessThan(1.3);
    expect(large / small).toBeGreaterThan(0.7);
  });

  it('a torn last line after a crash is skipped and counted, never fatal; appends go on', () => {
    const d = dir();
    const h = new FileRunHistory({ dir: d });
    const a = run('t');
    h.write(end(a));
    fs.appendFileSync(h.fileOf('t'), '{"id":"torn","task":"t","sched');
    const warnings: string[] = [];
    const again = new FileRunHistory({ dir: d, onWarning: (w) => warnings.push(w) });
    expect(again.list('t')).toEqual([end(a)]);
    expect(again.tornLines).toBe(1);
    expect(warnings).toEqual([expect.stringMatching(/run history of "t": skipped 1 unreadable line\(s\) .*torn by a crash/)]);
    const b = run('t');
    again.write(end(b));
    expect(new FileRunHistory({ dir: d }).list('t').map((r) => r.id)).toEqual([a.id, b.id]);
    // A line of garbage in the middle is skipped too.
    fs.appendFileSync(again.fileOf('t'), 'not json\n');
    const c = run('t');
    again.write(end(c));
    const third = new FileRunHistory({ dir: d });
    expect(third.list('t').map((r) => r.id)).toEqual([a.id, b.id, c.id]);
    expect(third.tornLines).toBe(1);
  });

  it('an append that failed half-way (disk full) does not swallow the next run: it starts a line of its own', () => {
    const d = dir();
    const warnings: string[] = [];
    const h = new FileRunHistory({ dir: d, onWarning: (w) => warnings.push(w) });
    const a = run('t');
    h.write(end(a));
    // ENOSPC after part of the line reached the file (what a full tmpfs does at a page boundary).
    // (appends open the file without following links, then write the whole line: jsonl.ts)
    const real = fs.writeFileSync;
    const spy = vi.spyOn(fs, 'writeFileSync').mockImplementationOnce((file, data) => {
      real(file, String(data).slice(0, 20));
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    });
    const b = run('t');
    h.write(end(b));
    spy.mockRestore();
    expect(warnings).toEqual([expect.stringMatching(/could not append to the run history of "t": ENOSPC/)]);
    // Space again: the next run is on record, for this daemon and the next.
    const c = run('t');
    h.write(end(c));
    expect(h.list('t').map((r) => r.id)).toEqual([a.id, c.id]);
    expect(new FileRunHistory({ dir: d }).list('t').map((r) => r.id)).toEqual([a.id, c.id]);
  });

  it('a history file that cannot be written is said once per task, and one task\'s fault never hides another\'s', () => {
    const d = dir();
    const warnings: string[] = [];
    const h = new FileRunHistory({ dir: d, onWarning: (w) => warnings.push(w) });
    fs.mkdirSync(h.fileOf('a')); // EISDIR
    fs.mkdirSync(h.fileOf('b'));
    const about = (task: string) => warnings.filter((w) => w.includes(`"${task}"`));
    h.write(end(run('a')));
    h.write(end(run('b')));
    const once = warnings.length;
    expect(about('b').join('\n')).toMatch(/could not append to the run history of "b"/);
    for (let i = 0; i < 5; i++) {
      h.write(end(run('a')));
      h.write(end(run('b')));
    }
    expect(warnings).toHaveLength(once);
  });

  it('temp files of a daemon killed mid-rewrite are removed by the next one', () => {
    const d = dir();
    fs.writeFileSync(path.join(d, '.t.jsonl.999999.tmp'), '{"id":"x"}\n');
    fs.writeFileSync(path.join(d, 't.jsonl'), '');
    new FileRunHistory({ dir: d });
    expect(fs.readdirSync(d)).toEqual(['t.jsonl']);
  });

  it('rejects a task name that is not one (no path escapes)', () => {
    const h = new FileRunHistory({ dir: dir() });
    expect(() => h.list('../x')).toThrow(/is not a task name/);
  });

  it('readers in another process see whole records while this one appends and trims', async () => {
    const d = dir();
    const h = new FileRunHistory({ dir: d });
    h.retain('t', 20);
    const reader = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test/fixtures/read-history.ts'), d, 't', '1500'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    reader.stdout.on('data', (b: Buffer) => (out += b.toString()));
    let exitCode: number | null | undefined;
    const exited = new Promise<number | null>((r) => reader.once('exit', (code) => r((exitCode = code))));
    try {
      await new Promise<void>((res, rej) => {
        const t = setTimeout(() => rej(new Error('reader did not start')), 15_000);
        const check = () => (out.includes('ready\n') ? (clearTimeout(t), res()) : setTimeout(check, 5));
        check();
      });
      let n = 0;
      while (exitCode === undefined) {
        const r = run('t');
        h.write(r);
        h.write(end(r));
        h.retain('t', 20);
        if (++n % 50 === 0) await new Promise((res) => setImmediate(res));
      }
      expect(await exited).toBe(0);
    } finally {
      if (reader.exitCode === null) reader.kill('SIGKILL');
    }
    const report = JSON.parse(out.slice(out.indexOf('\n') + 1)) as { reads: number; bad: number; minKept: number; maxKept: number; torn: number };
    expect(report.reads).toBeGreaterThan(20);
    expect(report.bad).toBe(0); // never a broken record in the middle
    expect(report.maxKept).toBeLessThanOrEqual(21); // 20 finished + the one under way
    expect(report.minKept).toBeGreaterThanOrEqual(20);
    expect(h.rewrites).toBeGreaterThan(5);
  });

  describe('a large file (over syncBytes): tail at first use, counts and trims in the background', () => {
    it('a fresh reader has the last runs and the runs under way from the tail at once, and exact counts once the background read is done', async () => {
      const d = dir();
      const h = new FileRunHistory({ dir: d });
      h.retain('t', 1000);
      // An old run under way (a daemon died during it), far before the tail.
      const old = run('t');
      h.write(old);
      const ids: string[] = [];
      for (let i = 0; i < 300; i++) {
        const r = run('t', i % 10 === 0 ? { trigger: 'retry', attempt: 2 } : {});
        ids.push(r.id);
        h.write(r);
        h.write(end(r, i === 299 ? 'failed' : 'succeeded'));
      }
      const late = run('t');
      h.write(late);
      const full = h.summary('t');
      expect(full).toMatchObject({ total: 302, retries: 30 });

      const again = new FileRunHistory({ dir: d, syncBytes: 4096 });
      again.retain('t', 1000);
      const first = again.summary('t');
      expect(first.last).toEqual(late);
      expect(first.lastFinished).toMatchObject({ id: ids[299], state: 'failed' });
      expect(first.unfinished.map((r) => r.id)).toContain(late.id);
      await again.flush();
      const counted = again.summary('t');
      expect(counted).toMatchObject({ total: 302, retries: 30, last: late, lastFinished: { id: ids[299] } });
      expect(counted.unfinished.map((r) => r.id).sort()).toEqual([old.id, late.id].sort());
    });

    it('a trim is written in the background; runs appended meanwhile end up in the new file, in order', async () => {
      const d = dir();
      const logs = path.join(d, 'logs');
      const runLog = (task: string, id: string) => path.join(logs, task, `${id}.log`);
      const h = new FileRunHistory({ dir: path.join(d, 'runs'), runLog, syncBytes: 0 });
      h.retain('t', 5);
      const ids: string[] = [];
      const add = () => {
        const r = run('t');
        ids.push(r.id);
        fs.mkdirSync(path.join(logs, 't'), { recursive: true });
        fs.writeFileSync(runLog('t', r.id), 'x\n');
        h.write(r);
        h.write(end(r));
      };
      for (let i = 0; i < 11; i++) add();
      // Due now, but written in the background: the file is still whole.
      expect(h.rewrites).toBe(0);
      expect(lines(h.fileOf('t'))).toHaveLength(22);
      // Two runs appended while the trim writes its temp file (after it read the file).
      // (Its first step is removing whatever lies at the temp file's name.)
      const real = fs.promises.rm;
      const spy = vi.spyOn(fs.promises, 'rm').mockImplementationOnce(async (...args: Parameters<typeof real>) => {
        add();
        add();
        await real(...args);
      });
      await h.flush();
      spy.mockRestore();
      expect(h.rewrites).toBe(1);
      const after = lines(h.fileOf('t')).map((l) => (JSON.parse(l) as RunRecord).id);
      // The kept runs of the read, then every line appended since, in order.
      expect(after).toEqual([...ids.slice(6, 11), ids[11], ids[11], ids[12], ids[12]]);
      expect(h.list('t').map((r) => r.id)).toEqual(ids.slice(-5));
      expect(h.summary('t')).toMatchObject({ total: 5, lastFinished: { id: ids[12] } });
      expect(fs.readdirSync(path.dirname(h.fileOf('t'))).filter((n) => n.endsWith('.tmp'))).toEqual([]);
      await waitFor(() => fs.readdirSync(path.join(logs, 't')).length === 7, 10_000, 'the dropped runs\' logs removed');
      expect(fs.readdirSync(path.join(logs, 't')).sort()).toEqual(ids.slice(6).map((id) => `${id}.log`));
    });

    for (const when of ['while it reads the file', 'while it writes its temp file'] as const) {
      it(`a task forgotten (removed from the task files) ${when} does not get its file back, nor a warning`, async () => {
        const d = dir();
        const logs = path.join(d, 'logs');
        const runLog = (task: string, id: string) => path.join(logs, task, `${id}.log`);
        const warnings: string[] = [];
        const h = new FileRunHistory({ dir: path.join(d, 'runs'), runLog, syncBytes: 0, onWarning: (w) => warnings.push(w) });
        h.retain('t', 5);
        for (let i = 0; i < 11; i++) {
          const r = run('t');
          h.write(r);
          h.write(end(r));
        }
        expect(h.rewrites).toBe(0); // due, and queued for the background
        // The read opens the file; the temp file's write starts by removing what lies at its name.
        const spy = when === 'while it reads the file'
          ? vi.spyOn(fs.promises, 'open').mockImplementationOnce(async (...args: Parameters<typeof fs.promises.open>) => {
            h.forget('t');
            return openReal(...args);
          })
          : vi.spyOn(fs.promises, 'rm').mockImplementationOnce(async (...args: Parameters<typeof fs.promises.rm>) => {
            h.forget('t');
            return rmReal(...args);
          });
        await h.flush();
        spy.mockRestore();
        expect(fs.existsSync(h.fileOf('t'))).toBe(false);
        expect(fs.readdirSync(path.join(d, 'runs'))).toEqual([]);
        expect(h.rewrites).toBe(0);
        expect(warnings).toEqual([]);
        expect(new FileRunHistory({ dir: path.join(d, 'runs') }).list('t')).toEqual([]);
      });
    }

    it('a trim that could not run in the background while the file kept growing is done at once, so it never grows without bound', () => {
      const h = new FileRunHistory({ dir: dir(), syncBytes: 0 });
      h.retain('t', 5);
      // Never leaving the loop: the background trim cannot run.
      for (let i = 0; i < 40; i++) {
        const r = run('t');
        h.write(r);
        h.write(end(r));
      }
      expect(h.rewrites).toBeGreaterThan(0);
      expect(lines(h.fileOf('t')).length).toBeLessThanOrEqual(2 * 5 * 3);
      expect(h.list('t')).toHaveLength(5);
    });
  });
});
