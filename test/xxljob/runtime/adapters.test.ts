import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { wireFor } from '../../../src/xxljob/core/wire.js';
import { AdminClient } from '../../../src/xxljob/runtime/admin-client.js';
import { CallbackStore, MAX_PENDING_CALLBACKS } from '../../../src/xxljob/runtime/callback-store.js';
import { readLogPage } from '../../../src/xxljob/runtime/log-page.js';
import { OutstandingFile } from '../../../src/xxljob/runtime/outstanding-file.js';
import { tempDir } from '../../helpers/temp.js';
import { makePki } from '../../helpers/tls.js';
import { TestAdmin } from '../../helpers/xxl-admin.js';

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

  // Issue 24 (open from the last note): an admin answering 500 for days made the store grow
  // without end, each item up to 4000 characters in memory and a file on disk. (The Java
  // executor's retry files are unbounded too; jobctl bounds them and says so.)
  it(`keeps at most ${MAX_PENDING_CALLBACKS} by default; past the bound the oldest go, with one warning per thousand`, () => {
    const d = path.join(dir(), 'callbacks');
    const warnings: string[] = [];
    const s = new CallbackStore(d, (w) => warnings.push(w), 3);
    for (let logId = 1; logId <= 5; logId++) s.add({ logId, logDateTim: 1, handleCode: 500, handleMsg: 'x'.repeat(4000) });
    expect(s.pending().map((i) => i.logId)).toEqual([3, 4, 5]);
    expect(fs.readdirSync(d).sort()).toEqual(['3.json', '4.json', '5.json']);
    expect(warnings).toEqual([expect.stringContaining('logId 1')]);
    // A store left larger (a lower bound now) is trimmed when it is opened, oldest log first.
    expect(new CallbackStore(d, undefined, 2).pending().map((i) => i.logId)).toEqual([4, 5]);
    expect(fs.readdirSync(d).sort()).toEqual(['4.json', '5.json']);
  });
});

describe('CallbackStore temp files', () => {
  it('a symlink planted at a callback temp file is never written through', () => {
    const d = path.join(dir(), 'callbacks');
    const s = new CallbackStore(d);
    const victim = path.join(path.dirname(d), 'victim');
    fs.writeFileSync(victim, 'precious\n');
    fs.symlinkSync(victim, path.join(d, '9.json.tmp'));
    s.add({ logId: 9, logDateTim: 1, handleCode: 200, handleMsg: 'ok' });
    expect(fs.readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(fs.lstatSync(path.join(d, '9.json')).isFile()).toBe(true);
    expect(new CallbackStore(d).pending().map((i) => i.logId)).toEqual([9]);
  });
});

describe('OutstandingFile', () => {
  it('is a journal: puts and removes replay to what waits, a torn last line is skipped, it compacts to the live entries', () => {
    const file = path.join(dir(), 'outstanding.jsonl');
    const j = new OutstandingFile(file);
    const o = (logId: number, runId?: string) => ({ logId, logDateTime: 1, jobId: 7, task: 't', ...(runId ? { runId } : {}) });
    const live = new Map<number, ReturnType<typeof o>>();
    const put = (x: ReturnType<typeof o>) => {
      live.set(x.logId, x);
      j.put(x);
    };
    put(o(1));
    put(o(2));
    j.flush(() => live.values(), live.size);
    put(o(1, 'run-1'));
    live.delete(2);
    j.remove(2);
    j.flush(() => live.values(), live.size);
    fs.appendFileSync(file, '{"put":{"logId":3,');
    expect(new OutstandingFile(file).load()).toEqual([o(1, 'run-1')]);
    for (let i = 10; i < 1200; i++) {
      put(o(i));
      j.flush(() => live.values(), live.size);
      live.delete(i);
      j.remove(i);
      j.flush(() => live.values(), live.size);
    }
    // 2400 changes, yet the file holds about the live entries plus the slack, not every change.
    expect(fs.readFileSync(file, 'utf8').trim().split('\n').length).toBeLessThan(1100);
    expect(new OutstandingFile(file).load()).toEqual([o(1, 'run-1')]);
    j.clear();
    expect(new OutstandingFile(file).load()).toEqual([]);
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

describe('AdminClient and the admins the Java executor talks to', () => {
  // Upstream: xxl-job-core executor/XxlJobExecutor.java (3.3.0: HttpTool client with
  // `.header(XXL_JOB_ACCESS_TOKEN, accessToken)`, sent also when empty) and admin
  // scheduler/openapi/OpenApiController.java (3.3.0: `@RequestHeader(XXL_JOB_ACCESS_TOKEN)`, required).
  it('sends XXL-JOB-ACCESS-TOKEN empty without a token, so admins 3.3.0/3.3.1 (header required) accept it', async () => {
    const admin = new TestAdmin({ requireTokenHeader: true, version: 3 });
    await admin.up();
    cleanups.push(() => admin.close());
    const client = new AdminClient({ admins: [admin.base], wire: wireFor(3), timeoutMs: 5000 });
    expect(await client.call('registry', { registryGroup: 'EXECUTOR', registryKey: 'app', registryValue: 'http://x/' })).toEqual({ ok: true, admin: admin.base });
    expect(await client.call('callback', [{ logId: 1, logDateTim: 1, handleCode: 200, handleMsg: 'ok' }])).toMatchObject({ ok: true });
    expect(admin.missingHeader).toBe(0);
    expect(admin.callbacks.map((c) => c.logId)).toEqual([1]);
  });

  // Upstream: xxl-job-core util/XxlJobRemotingUtil.java trusts every https certificate
  // (trustAllHosts); jobctl verifies, and trusts a private CA only when named (xxljob.ca_file).
  it('an https admin signed by a private CA: refused without the CA, accepted with it', async () => {
    const pki = makePki(dir());
    const admin = new TestAdmin({ tls: { key: pki.key, cert: pki.cert } });
    await admin.up();
    cleanups.push(() => admin.close());
    expect(admin.base).toMatch(/^https:/);
    const body = { registryGroup: 'EXECUTOR', registryKey: 'tls-app', registryValue: 'http://x/' };
    const untrusted = await new AdminClient({ admins: [admin.base], wire: wireFor(2), timeoutMs: 5000 }).call('registry', body);
    expect(untrusted.ok).toBe(false);
    expect(!untrusted.ok && untrusted.error).toMatch(/certificate[\s\S]*xxljob\.ca_file/);
    expect(admin.registrations.size).toBe(0);
    const ca = fs.readFileSync(pki.caFile, 'utf8');
    expect(await new AdminClient({ admins: [admin.base], wire: wireFor(2), timeoutMs: 5000, ca }).call('registry', body)).toEqual({ ok: true, admin: admin.base });
    expect(admin.registrations.get('tls-app')).toEqual(new Set(['http://x/']));
  });
});
