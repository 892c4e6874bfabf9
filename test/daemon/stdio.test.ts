import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { DaemonLog } from '../../src/daemon/logger.js';
import { DaemonOutput, uncaughtReporter } from '../../src/daemon/stdio.js';
import { tempDir } from '../helpers/temp.js';

const cleanups: Array<() => void> = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

/** A stream whose reader is gone: every write fails with EPIPE, as a closed pipe does. */
function brokenPipe(): Writable & { attempts: number } {
  const w = new Writable({
    write: (_c, _e, cb) => {
      w.attempts++;
      cb(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    },
  }) as Writable & { attempts: number };
  w.attempts = 0;
  return w;
}

describe('DaemonOutput', () => {
  it('moves to the fallback file when stderr fails, never throws, and stops writing to the broken stream', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const file = path.join(t.dir, 'daemon.log');
    const pipe = brokenPipe();
    const out = new DaemonOutput(pipe, file);
    cleanups.push(() => out.close());
    const log = new DaemonLog(out);
    log.info('first');
    await new Promise((r) => setImmediate(r));
    for (let i = 0; i < 100; i++) log.warn(`line ${i}`);
    expect(out.primaryFailed).toBe('EPIPE');
    expect(pipe.attempts).toBe(1);
    const text = fs.readFileSync(file, 'utf8');
    expect(text).toMatch(/stderr failed \(EPIPE\); the daemon log continues here/);
    expect(text).toMatch(/warn  line 99\n$/);
  });

  it('never follows a symlink planted at state/daemon.log', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const file = path.join(t.dir, 'daemon.log');
    const victim = path.join(t.dir, 'victim');
    fs.writeFileSync(victim, 'precious\n');
    fs.symlinkSync(victim, file);
    const pipe = brokenPipe();
    const out = new DaemonOutput(pipe, file);
    cleanups.push(() => out.close());
    out.write('first\n');
    await new Promise((r) => setImmediate(r));
    out.write('second\n');
    expect(fs.readFileSync(victim, 'utf8')).toBe('precious\n');
  });

  it('drops quietly when there is no fallback', async () => {
    const out = new DaemonOutput(brokenPipe());
    out.write('a\n');
    await new Promise((r) => setImmediate(r));
    expect(() => out.write('b\n')).not.toThrow();
  });
});

describe('uncaughtReporter', () => {
  it('does not recurse when reporting fails and caps a storm', () => {
    let writes = 0;
    const report = uncaughtReporter({
      write: () => {
        writes++;
        report('again', new Error('inner')); // a report that causes another one is dropped
        throw new Error('output gone');
      },
    }, 5);
    for (let i = 0; i < 50; i++) report('uncaught', new Error('boom'));
    expect(writes).toBe(5);
  });
});
