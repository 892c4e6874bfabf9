import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DaemonParts } from '../../src/daemon/daemon-parts.js';
import { startDaemon } from '../../src/daemon/main.js';
import { tempDir } from '../helpers/temp.js';
import { waitFor } from '../helpers/wait.js';

const temps: Array<() => void> = [];
afterAll(() => temps.forEach((c) => c()));

describe('DaemonParts: the order a daemon stops in', () => {
  it('stops in reverse order of coming up; a part placed just before another stops there', async () => {
    const parts = new DaemonParts();
    const stopped: string[] = [];
    for (const n of ['lock', 'store', 'tasks']) parts.up(n, () => stopped.push(n));
    parts.up('socket', () => stopped.push('socket'), { stopsJustBefore: 'lock' });
    parts.up('watcher', () => stopped.push('watcher'));
    expect(parts.stopOrder()).toEqual(['watcher', 'tasks', 'store', 'socket', 'lock']);
    await parts.stop(() => undefined);
    expect(stopped).toEqual(['watcher', 'tasks', 'store', 'socket', 'lock']);
  });

  it('a part that fails to stop does not hold the others back; stopping twice stops each once', async () => {
    const parts = new DaemonParts();
    const stopped: string[] = [];
    parts.up('a', () => stopped.push('a'));
    parts.up('b', async () => {
      throw new Error('b broke');
    });
    parts.up('c', () => stopped.push('c'));
    const errors: string[] = [];
    await Promise.all([parts.stop((n, e) => errors.push(`${n}: ${(e as Error).message}`)), parts.stop(() => undefined)]);
    expect(stopped).toEqual(['c', 'a']);
    expect(errors).toEqual(['b: b broke']);
  });

  it('a name is up once, and a part placed before one that is not up is a wiring error', () => {
    const parts = new DaemonParts();
    parts.up('a', () => undefined);
    expect(() => parts.up('a', () => undefined)).toThrow(/up already/);
    expect(() => parts.up('b', () => undefined, { stopsJustBefore: 'nope' })).toThrow(/not up/);
  });

  it('startDaemon: watchers first, then the tasks, the host services and the stores; the socket just before the lock', async () => {
    const t = tempDir('jobctl-parts-');
    temps.push(t.cleanup);
    fs.mkdirSync(path.join(t.dir, 'tasks'));
    fs.writeFileSync(path.join(t.dir, 'tasks/a.yaml'), 'tasks:\n  a:\n    command: sleep 1000\n');
    const lines: string[] = [];
    const d = await startDaemon({ home: t.dir, logStream: { write: (s) => lines.push(s) } });
    try {
      expect(d.stopOrder()).toEqual([
        'restore-timer', 'host-file-watcher', 'task-watcher', 'notifier', 'autoscaler', 'tasks', 'scheduler', 'host-services', 'config-reader',
        'sampler', 'containment', 'history', 'store', 'recreated-dirs', 'socket', 'lock',
      ]);
    } finally {
      await d.close();
    }
    await d.closed;
    expect(fs.existsSync(path.join(t.dir, 'state/jobctl.sock'))).toBe(false);
    await waitFor(() => lines.join('').includes('stopped'), 5000, 'the daemon says it stopped');
  }, 30_000);
});
