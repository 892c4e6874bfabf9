import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';

/**
 * The pure cgroup v2 path of `limits:` (this host is hybrid, so it is checked on a stand-in
 * tree: a directory where the control files are plain files). memory.swap.max exists only
 * with swap accounting; without it memory.max is still in force and no note may say otherwise.
 */

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'jobctl-v2-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

vi.mock('../../../src/runtime/cgroup.js', async (orig) => {
  const real = await orig<typeof import('../../../src/runtime/cgroup.js')>();
  return {
    ...real,
    probeCgroups: () => ({ host: { v2Base: root, v2Controllers: ['memory', 'pids', 'cpu'], v1Bases: {} } }),
  };
});

const { Containment } = await import('../../../src/runtime/process/contain.js');
const read = (leaf: string, f: string) => fs.readFileSync(path.join(root, leaf, f), 'utf8');

describe('limits on a pure cgroup v2 host', () => {
  it('write memory.max, cpu.max "quota period" and pids.max', () => {
    const box = Containment.open('/v2-home').open({ task: 'a', instance: 0 }, { memory: 50 * 1024 * 1024, cpu: 0.5, pids: 20 });
    expect(box.notes).toEqual([]);
    expect(read('a.i0', 'memory.max')).toBe(String(50 * 1024 * 1024));
    expect(read('a.i0', 'memory.swap.max')).toBe('0');
    expect(read('a.i0', 'cpu.max')).toBe('50000 100000');
    expect(read('a.i0', 'pids.max')).toBe('20');
    // removed limits go back to unlimited
    expect(box.setLimits({})).toEqual([]);
    expect(read('a.i0', 'memory.max')).toBe('max');
    expect(read('a.i0', 'memory.swap.max')).toBe('max');
    expect(read('a.i0', 'cpu.max')).toBe('max 100000');
    expect(read('a.i0', 'pids.max')).toBe('max');
  });

  it('memory is in force without swap accounting (no memory.swap.max): no note says otherwise', () => {
    // A leaf whose memory.swap.max cannot be written (a directory stands in for the missing file).
    fs.mkdirSync(path.join(root, 'b.i0', 'memory.swap.max'), { recursive: true });
    const box = Containment.open('/v2-home').open({ task: 'b', instance: 0 }, { memory: 50 * 1024 * 1024 });
    expect(read('b.i0', 'memory.max')).toBe(String(50 * 1024 * 1024));
    expect(box.notes).toEqual([]);
  });
});
