import { afterAll, describe, expect, it } from 'vitest';
import { loadTaskDir } from '../../src/config/load.js';
import { parseCpu } from '../../src/config/schema.js';
import { tempDir, writeFiles } from '../helpers/temp.js';

const temps: Array<() => void> = [];
afterAll(() => temps.forEach((c) => c()));
function load(yaml: string) {
  const { dir, cleanup } = tempDir();
  temps.push(cleanup);
  writeFiles(dir, { 'w.yaml': yaml });
  return loadTaskDir(dir);
}

describe('limits:', () => {
  it('normalizes memory, cpu and pids for both kinds of task', () => {
    const set = load(`tasks:
  api:
    command: node server.js
    limits: {memory: 50MB, cpu: "50%", pids: 10}
  nightly:
    schedule: "0 3 * * *"
    command: ./report.sh
    limits: {cpu: 2}
`);
    expect(set.errors).toEqual([]);
    expect(set.tasks.find((t) => t.name === 'api')!.limits).toEqual({ memory: 50 * 1024 * 1024, cpu: 0.5, pids: 10 });
    expect(set.tasks.find((t) => t.name === 'nightly')!.limits).toEqual({ cpu: 2 });
  });

  it('merges a file default with the task', () => {
    const set = load(`defaults:
  limits: {memory: 1GB}
tasks:
  api:
    command: x
    limits: {pids: 100}
`);
    expect(set.tasks[0]!.limits).toEqual({ memory: 1024 ** 3, pids: 100 });
  });

  it('rejects bad values and unknown keys with the key named', () => {
    for (const [bad, msg] of [['{cpu: "lots"}', /cpu/], ['{memory: huge}', /size/], ['{pids: 0}', /pids|>=/], ['{rss: 1}', /rss/]] as const) {
      const set = load(`tasks:\n  api:\n    command: x\n    limits: ${bad}\n`);
      expect(set.errors.length, bad).toBeGreaterThan(0);
      expect(set.errors.map((e) => e.message).join(' '), bad).toMatch(msg);
    }
  });

  it('parses cpu as cores or a percent of one core', () => {
    expect(parseCpu(0.25)).toBe(0.25);
    expect(parseCpu('150%')).toBe(1.5);
    expect(parseCpu('1.5')).toBe(1.5);
    expect(parseCpu(0)).toBeUndefined();
    expect(parseCpu('x%')).toBeUndefined();
  });
});
