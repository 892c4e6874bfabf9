import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { wireFor } from '../../src/core/xxljob/wire.js';
import { AdminClient } from '../../src/runtime/xxljob/admin-client.js';
import { CallbackStore } from '../../src/runtime/xxljob/callback-store.js';
import { readLogPage } from '../../src/runtime/xxljob/log-page.js';
import { tempDir } from '../helpers/temp.js';
import { TestAdmin } from '../helpers/xxl-admin.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});
const dir = () => {
  const t = tempDir('jobctl-xxl-');
  cleanups.push(t.cleanup);
  return t.dir;
};

describe('CallbackStore', () => {
  it('keeps callbacks across a reopen until removed; drops half-written files, sets unreadable ones aside', () => {
    const d = path.join(dir(), 'callbacks');
    const a = new CallbackStore(d);
    a.add({ logId: 2, logDateTim: 1, handleCode: 200, handleMsg: 'ok' });
    a.add({ logId: 1, logDateTim: 1, handleCode: 500, handleMsg: 'bad' });
    fs.writeFileSync(path.join(d, '3.json.tmp'), '{"logId');
    fs.writeFileSync(path.join(d, '4.json'), 'not json');
    const warnings: string[] = [];
    const b = new CallbackStore(d, (w) => warnings.push(w));
    expect(b.pending().map((i) => i.logId)).toEqual([1, 2]);
    expect(warnings).toEqual([expect.stringContaining('4.json')]);
    expect(fs.readdirSync(d).sort()).toEqual(['1.json', '2.json', '4.json.bad']);
    b.remove([1]);
    expect(new CallbackStore(d).pending().map((i) => i.logId)).toEqual([2]);
  });
});

describe('readLogPage', () => {
  it('pages by line numbers from 1, bounded, and says when it reached the end', async () => {
    const f = path.join(dir(), 'run.log');
    fs.writeFileSync(f, Array.from({ length: 10 }, (_, i) => `l${i + 1}`).join('\n') + '\n');
    expect(await readLogPage(f, 1, 4)).toEqual({ toLineNum: 4, content: 'l1\nl2\nl3\nl4\n', complete: false });
    expect(await readLogPage(f, 9, 4)).toEqual({ toLineNum: 10, content: 'l9\nl10\n', complete: true });
    expect(await readLogPage(f, 12)).toEqual({ toLineNum: 10, content: '', complete: true });
    expect(await readLogPage(path.join(dir(), 'none.log'), 1)).toBeUndefined();
  });
});

describe('AdminClient', () => {
  it('tries the admins in order and reports what each said', async () => {
    const up = new TestAdmin({ token: 't' });
    await up.up();
    const down = new TestAdmin();
    await down.up();
    await down.down();
    cleanups.push(() => up.close());
    const client = new AdminClient({ admins: [down.base, up.base], token: 't', wire: wireFor(2), timeoutMs: 3000 });
    expect(await client.call('registry', { registryGroup: 'EXECUTOR', registryKey: 'app', registryValue: 'http://x/' })).toEqual({ ok: true, admin: up.base });
    expect(up.registrations.get('app')).toEqual(new Set(['http://x/']));
    const wrong = new AdminClient({ admins: [down.base, up.base], token: 'nope', wire: wireFor(2), timeoutMs: 3000 });
    const r = await wrong.call('callback', []);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(new RegExp(`${down.base}: ECONNREFUSED; ${up.base}: code 500: The access token is wrong\\.`));
  });
});
