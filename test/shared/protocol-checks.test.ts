import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { protocolChecksText } from '../../src/config/protocol-checks-text.js';
import { checkParams } from '../../src/shared/param-check.js';
import { PARAM_SCHEMAS } from '../../src/shared/protocol-checks.generated.js';
import { METHOD_PARAMS } from '../../src/shared/protocol-params.js';
import { METHODS } from '../../src/shared/protocol.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** Params for every method: valid ones and every way to get one wrong that the schemas forbid. */
const CASES: Array<[string, unknown]> = [
  ['hello', {}], ['hello', { client: 'cli' }], ['hello', { client: 3 }], ['hello', { extra: 1 }], ['hello', 'x'], ['hello', null], ['hello', []],
  ['identify', { operator: 'ann' }], ['identify', {}], ['identify', { operator: '' }], ['identify', { operator: 'x'.repeat(201) }], ['identify', { operator: 'a', from: 'x'.repeat(300) }],
  ['status', {}], ['status', { target: '@web', allHosts: true }], ['status', { target: '' }], ['status', { allHosts: 'yes' }],
  ['start', { target: 'a' }], ['start', { target: 'a', wait: true }], ['start', {}], ['start', { target: 'a', wait: 1 }],
  ['restart', { target: 'a', rolling: true, stepTimeout: 5000 }], ['restart', { target: 'a', stepTimeout: 99 }], ['restart', { target: 'a', stepTimeout: 1.5e3 + 0.5 }],
  ['restart', { target: 'a', stepTimeout: 24 * 3_600_000 + 1 }], ['restart', { target: 'a', stepTimeout: '100' }],
  ['logs', { task: 'a', lines: 0, instance: 2, run: 'last', since: 1.5, follow: true }], ['logs', { task: 'a', lines: -1 }], ['logs', { task: 'a', lines: 100_001 }],
  ['logs', { task: 'a', instance: 1.5 }], ['logs', { task: 'a', since: 'yesterday' }],
  ['history', { task: 'a', limit: 10 }], ['history', { task: 'a', limit: 0 }],
  ['plan', { dir: '/x' }], ['plan', { rev: '' }], ['reload', {}], ['reload', { now: true }],
  ['subscribe', { events: ['state', 'event'] }], ['subscribe', { events: [] }], ['subscribe', { events: ['logs'] }], ['subscribe', { events: 'state' }],
  ['unsubscribe', { subscription: 3 }], ['unsubscribe', { subscription: 3.5 }],
  ['scale', { task: 'a', count: 4 }], ['scale', { task: 'a', count: 'auto' }], ['scale', { task: 'a', count: 'many' }], ['scale', { task: 'a', count: -1 }], ['scale', { task: 'a', count: 1e9 }],
  ['notify-test', { notifier: 'ops' }], ['shutdown', { now: false }], ['shutdown', { now: 'yes' }],
  ['audit', { limit: 5 }], ['audit', { limit: 100_001 }], ['kill', { task: 'a', signal: 'HUP' }], ['kill', { task: 'a', signal: 'x'.repeat(21) }], ['run', { task: 'a' }], ['stop', { target: 'a' }],
];

describe('protocol checks generated from the zod schemas', () => {
  it('src/shared/protocol-checks.generated.ts is up to date (run `npm run schema`)', () => {
    expect(fs.readFileSync(path.join(ROOT, 'src/shared/protocol-checks.generated.ts'), 'utf8')).toBe(protocolChecksText());
    expect(Object.keys(PARAM_SCHEMAS).sort()).toEqual(Object.keys(METHOD_PARAMS).sort());
    expect([...METHODS].sort()).toEqual(Object.keys(METHOD_PARAMS).sort());
  });

  it('accept and refuse exactly what the zod schemas accept and refuse', () => {
    const methods = new Set(CASES.map(([m]) => m));
    expect([...methods].sort()).toEqual(Object.keys(METHOD_PARAMS).sort()); // every method is exercised
    let refused = 0;
    for (const [method, params] of CASES) {
      const zodOk = METHOD_PARAMS[method as keyof typeof METHOD_PARAMS].safeParse(params).success;
      const issues = checkParams(PARAM_SCHEMAS[method as keyof typeof PARAM_SCHEMAS], params);
      expect({ method, params, ok: issues.length === 0 }).toEqual({ method, params, ok: zodOk });
      if (!zodOk) {
        refused++;
        expect(issues[0]!.message.length).toBeGreaterThan(3);
      }
    }
    expect(refused).toBeGreaterThan(25);
  });
});
