import { spawn, type ChildProcess } from 'node:child_process';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { FleetLockService } from '../../../src/fleet-lock/daemon/service.js';
import { expandEnv } from '../../../src/shared/env-ref.js';
import type { CronTaskSpec, HostSettings } from '../../../src/shared/types.js';
import { freePort } from '../../helpers/net.js';
import { cronSpec } from '../../helpers/specs.js';
import { waitFor } from '../../helpers/wait.js';

const settings = (redis?: string): HostSettings => ({ labels: [], notifiers: [], ...(redis ? { lock: { redis } } : {}) });
const once: CronTaskSpec = { ...cronSpec({ name: 'report', schedule: '0 * * * * *' }), onOneHost: true };
let redis: ChildProcess | undefined;
afterAll(() => {
  if (redis && redis.exitCode === null) redis.kill('SIGKILL');
});

describe('FleetLockService', () => {
  it('tasks without on_one_host never ask', async () => {
    const s = new FleetLockService();
    expect(await s.claim(cronSpec({}), Date.now())).toEqual({ ok: true });
    await s.close();
  });

  it('on_one_host without lock: in jobctl.yaml is a lock error, reported', async () => {
    const errors: string[] = [];
    const s = new FleetLockService(undefined, (_spec, m) => errors.push(m));
    await s.apply(settings());
    const d = await s.claim(once, Date.UTC(2026, 0, 1));
    expect(d).toEqual({ ok: false, quiet: false, reason: 'lock error: on_one_host needs `lock: {redis: URL}` in jobctl.yaml' });
    expect(errors).toEqual(['lock error: on_one_host needs `lock: {redis: URL}` in jobctl.yaml; the firing of 2026-01-01T00:00:00.000Z was skipped (no run without a claim)']);
    await s.close();
    await s.close();
  });

  it('two daemons, one firing: one claims it, the other is told quietly; a URL from ${ENV}; Redis gone is a lock error', async () => {
    const port = await freePort();
    redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    await waitFor(async () => (await execa('redis-cli', ['-p', String(port), 'ping'], { reject: false })).stdout === 'PONG', 10_000, 'redis up');
    const env = { LOCK_URL: `redis://127.0.0.1:${port}/0` };
    const at = Date.UTC(2026, 0, 1, 12);
    const a = new FleetLockService(undefined, undefined, env, () => at + 1000);
    const b = new FleetLockService(undefined, undefined, env, () => at + 1000);
    await a.apply(settings('${LOCK_URL}'));
    await b.apply(settings('${LOCK_URL}'));
    const [da, db] = await Promise.all([a.claim(once, at), b.claim(once, at)]);
    expect([da, db].filter((d) => d.ok)).toHaveLength(1);
    expect([da, db].filter((d) => !d.ok)).toEqual([{ ok: false, quiet: true, reason: 'claimed by another host (on_one_host)' }]);
    const ttl = Number((await execa('redis-cli', ['-p', String(port), 'pttl', 'jobctl:once:report:2026-01-01T12:00:00.000Z'])).stdout);
    expect(ttl).toBeGreaterThan(100 * 60_000);
    expect(a.info()).toMatchObject({ redis: `redis://127.0.0.1:${port}/0`, connected: true });
    redis.kill('SIGKILL');
    await new Promise((r) => redis!.once('exit', r));
    await waitFor(() => a.info()?.connected === false, 5000, 'lock sees Redis gone');
    const gone = await a.claim(once, at + 60_000);
    expect(gone).toMatchObject({ ok: false, quiet: false, reason: expect.stringMatching(/^lock error: redis redis:\/\/127\.0\.0\.1:\d+\/0: /) });
    await Promise.all([a.close(), b.close()]);
  });

  it('a firing older than a claim lives is not run (catch-up after a long downtime: the other host\'s key has expired)', async () => {
    const port = await freePort();
    const r = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    try {
      await waitFor(async () => (await execa('redis-cli', ['-p', String(port), 'ping'], { reject: false })).stdout === 'PONG', 10_000, 'redis up');
      const errors: string[] = [];
      const b = new FleetLockService(undefined, (_spec, m) => errors.push(m));
      await b.apply(settings(`redis://127.0.0.1:${port}/0`));
      const yearly: CronTaskSpec = { ...cronSpec({ name: 'yearly', schedule: '0 0 0 1 1 *' }), onOneHost: true };
      // Host A ran the firing of 1 January on time; its key (7 days at most) is gone by the 9th,
      // when host B comes back and catches the firing up.
      const now = Date.now();
      const firing = now - 8 * 24 * 3_600_000;
      const d = await b.claim(yearly, firing);
      expect(d).toMatchObject({ ok: false, quiet: false, reason: expect.stringMatching(/^lock error: .*older than a claim lives/) });
      expect(errors).toHaveLength(1);
      // A firing of a minute ago is still claimed as usual.
      expect(await b.claim(yearly, now - 60_000)).toEqual({ ok: true });
      await b.close();
    } finally {
      r.kill('SIGKILL');
    }
  });

  it('resolves ${ENV} in the URL', () => {
    expect(expandEnv('redis://:${PW}@h:1', { PW: 's3cret' }).text).toBe('redis://:s3cret@h:1');
  });
});
