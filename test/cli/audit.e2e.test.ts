import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../src/shared/protocol.js';
import { jobctl } from '../helpers/cli.js';
import { makeHome, removeTestHomes } from '../helpers/daemon.js';

afterAll(removeTestHomes);

const ENTRIES: AuditEntry[] = [
  { at: Date.UTC(2026, 0, 2, 3, 4, 5), operator: 'alice', role: 'operator', from: '10.0.0.5 51234 10.0.0.9 22', method: 'stop', target: '@reports', tasks: ['report-daily'], outOfScope: 1, result: 'ok' },
  { at: Date.UTC(2026, 0, 2, 3, 4, 6), operator: 'bob', role: 'viewer', method: 'stop', target: 'x', result: 'error', code: 'FORBIDDEN', message: 'bob may not stop x (viewer)' },
];

describe('jobctl audit', () => {
  it('with the daemon down, reads state/audit.jsonl directly: a table, -n, --json', async () => {
    const home = makeHome({ 'tasks/a.yaml': 'tasks:\n  a:\n    command: x\n' });
    fs.mkdirSync(path.join(home, 'state'), { recursive: true });
    fs.writeFileSync(path.join(home, 'state', 'audit.jsonl'), ENTRIES.map((e) => JSON.stringify(e)).join('\n') + '\n');
    const r = await jobctl(['audit'], { home, env: { TZ: 'UTC' } });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/daemon not running .*; reading .*audit\.jsonl directly/);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^TIME\s+OPERATOR\s+FROM\s+CALL\s+RESULT$/);
    expect(lines[1]).toMatch(/^2026-01-02 03:04:05 .*alice \(operator\)\s+10\.0\.0\.5\s+stop @reports \(report-daily\) \[1 left alone: outside the rights\]\s+ok$/);
    expect(lines[2]).toMatch(/bob \(viewer\)\s+local\s+stop x\s+FORBIDDEN: bob may not stop x \(viewer\)$/);
    const json = await jobctl(['audit', '-n', '1', '--json'], { home });
    expect(JSON.parse(json.stdout)).toEqual({ entries: [ENTRIES[1]] });
    expect((await jobctl(['audit', '-n', '0'], { home })).code).toBe(2);
  });
});
