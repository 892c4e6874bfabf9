import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditTrail } from '../../src/runtime/audit-trail.js';
import type { AuditEntry } from '../../src/shared/protocol.js';
import { tempDir } from '../helpers/temp.js';

const cleanups: Array<() => void> = [];
afterEach(() => cleanups.splice(0).forEach((f) => f()));

const entry = (i: number): AuditEntry => ({ at: i, operator: 'alice', role: 'operator', method: 'stop', target: `task-${i}`, result: 'ok' });

function file(): string {
  const t = tempDir('jobctl-audit-');
  cleanups.push(t.cleanup);
  return path.join(t.dir, 'audit.jsonl');
}

describe('state/audit.jsonl', () => {
  it('appends one line per call and reads the newest back, oldest first', () => {
    const f = file();
    const trail = new AuditTrail(f);
    for (let i = 0; i < 5; i++) trail.record(entry(i));
    expect(trail.tail(2).map((e) => e.at)).toEqual([3, 4]);
    expect(fs.readFileSync(f, 'utf8').trim().split('\n')).toHaveLength(5);
    expect(fs.statSync(f).mode & 0o777).toBe(0o600);
  });

  it('stays under its size: past it, the older half goes, whole lines only', () => {
    const f = file();
    const maxBytes = 2000;
    const trail = new AuditTrail(f, { maxBytes });
    for (let i = 0; i < 200; i++) {
      trail.record(entry(i));
      expect(fs.statSync(f).size).toBeLessThanOrEqual(maxBytes + 200);
    }
    const kept = trail.tail(1000);
    expect(kept.at(-1)?.at).toBe(199);
    expect(kept.map((e) => e.at)).toEqual(kept.map((_, i) => 199 - kept.length + 1 + i));
  });

  it('a torn last line (a crash mid-write) is cut before the next append', () => {
    const f = file();
    fs.writeFileSync(f, `${JSON.stringify(entry(1))}\n{"at":2,"oper`);
    const trail = new AuditTrail(f);
    trail.record(entry(3));
    expect(trail.tail().map((e) => e.at)).toEqual([1, 3]);
  });

  it('a write that fails is a warning, never an error of the call', () => {
    const t = tempDir('jobctl-audit-');
    cleanups.push(t.cleanup);
    fs.mkdirSync(path.join(t.dir, 'audit.jsonl'));
    const warnings: string[] = [];
    new AuditTrail(path.join(t.dir, 'audit.jsonl'), { onWarning: (w) => warnings.push(w) }).record(entry(1));
    expect(warnings).toEqual([expect.stringMatching(/audit trail .*audit\.jsonl: .*is a directory/)]);
  });
});
