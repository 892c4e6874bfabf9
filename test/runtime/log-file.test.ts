import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LineStamper, stamp } from '../../src/runtime/line-stamper.js';
import { LogFile } from '../../src/runtime/log-file.js';
import { TailRing } from '../../src/runtime/tail-ring.js';
import { tempDirs } from '../helpers/temp.js';

const temps = tempDirs();
afterAll(temps.cleanup);
const dir = temps.dir;

describe('LogFile', () => {
  it('rotates by size, keeps `keep` files, and loses no line', async () => {
    const d = dir();
    const file = path.join(d, 'x.log');
    const log = new LogFile({ path: file, maxSize: 10_000, keep: 3 });
    const lines = Array.from({ length: 5000 }, (_, i) => `line ${String(i).padStart(5, '0')}\n`);
    for (let i = 0; i < lines.length; i += 10) log.write(Buffer.from(lines.slice(i, i + 10).join('')));
    await log.close();
    await log.close(); // twice is fine
    const files = fs.readdirSync(d).sort();
    expect(files).toEqual(['x.log', 'x.log.1', 'x.log.2', 'x.log.3']);
    const kept = ['x.log.3', 'x.log.2', 'x.log.1', 'x.log'].map((f) => fs.readFileSync(path.join(d, f), 'utf8')).join('');
    // The oldest files were dropped; what is kept is the contiguous, whole-line tail.
    expect(lines.join('').endsWith(kept)).toBe(true);
    expect(kept.startsWith('line ')).toBe(true);
    for (const f of files) expect(fs.statSync(path.join(d, f)).size).toBeLessThan(10_000 + 200);
  });

  it('asks producers to wait past the high-water mark and emits drain', async () => {
    const log = new LogFile({ path: path.join(dir(), 'y.log'), maxSize: 1e9, keep: 1, directWrites: false });
    const big = Buffer.alloc(600 * 1024, 0x61);
    expect(log.write(big)).toBe(true);
    expect(log.write(big)).toBe(false);
    await new Promise<void>((resolve) => log.once('drain', resolve));
    await log.close();
    expect(fs.statSync(log.path).size).toBe(1200 * 1024);
  });

  it('a full disk is reported, counted, and does not throw', async () => {
    const errors: string[] = [];
    const log = new LogFile({ path: '/dev/full', maxSize: 1e12, keep: 0, onError: (e) => errors.push(e.code ?? '') });
    log.write(Buffer.from('hello\n'));
    await log.idle();
    log.write(Buffer.from('again\n'));
    await log.close();
    expect(errors[0]).toBe('ENOSPC');
    expect(log.droppedBytes).toBe(12);
  });
});

describe('LineStamper', () => {
  const now = () => Date.parse('2026-01-02T03:04:05.678Z');
  it('prefixes whole lines and holds a partial line until its end', () => {
    const s = new LineStamper('out', now);
    expect(s.push(Buffer.from('par'))).toBeNull();
    expect(s.push(Buffer.from('tial\nwhole\nnext'))!.toString()).toBe(
      '2026-01-02T03:04:05.678Z [out] partial\n2026-01-02T03:04:05.678Z [out] whole\n',
    );
    expect(s.flush()!.toString()).toBe('2026-01-02T03:04:05.678Z [out] next\n');
    expect(s.flush()).toBeNull();
  });
  it('stamp() handles empty lines', () => {
    expect(stamp(Buffer.from('\na\n\n'), Buffer.from('> ')).toString()).toBe('> \n> a\n> \n');
  });
  it('cuts a huge line without a newline', () => {
    const s = new LineStamper('err', now);
    const out = s.push(Buffer.alloc(70 * 1024, 0x62));
    expect(out!.toString().startsWith('2026-01-02T03:04:05.678Z [err] bbb')).toBe(true);
  });
});

describe('TailRing', () => {
  it('keeps the last lines within its capacity', () => {
    const r = new TailRing(100);
    for (let i = 0; i < 50; i++) r.push(Buffer.from(`line ${i}\n`));
    expect(r.lines(3)).toEqual(['line 47', 'line 48', 'line 49']);
    expect(r.lines(100).length).toBeLessThanOrEqual(15);
    expect(r.lines(100)[0]).toMatch(/^line \d+$/);
  });
});
