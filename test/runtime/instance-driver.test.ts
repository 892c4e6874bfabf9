import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InstanceDriver } from '../../src/runtime/instance-driver.js';
import { LogSink } from '../../src/runtime/log-sink.js';
import type { StateStore } from '../../src/runtime/state-store.js';
import { DEFAULTS } from '../../src/config/defaults.js';
import { daemonSpec } from '../helpers/specs.js';
import { tempDir } from '../helpers/temp.js';
import { waitFor } from '../helpers/wait.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

describe('InstanceDriver after an exit', () => {
  it('a failing child-record write is a warning, not an unhandled rejection, and the exit still reaches the machine', async () => {
    const rejections: unknown[] = [];
    const onRejection = (e: unknown) => rejections.push(e);
    process.on('unhandledRejection', onRejection);
    cleanups.push(() => process.off('unhandledRejection', onRejection));
    const t = tempDir();
    cleanups.push(t.cleanup);
    const sink = new LogSink({ path: path.join(t.dir, 'x.log'), logs: { ...DEFAULTS.logs } });
    cleanups.push(() => sink.close());
    const store = {
      recordChild: () => undefined,
      forgetChild: () => {
        throw new Error('disk full');
      },
    } as unknown as StateStore;
    const driver = new InstanceDriver({ spec: daemonSpec({ command: 'exit 3', restart: 'never' }), index: 0, sink, store });
    cleanups.push(() => driver.dispose());
    const warnings: string[] = [];
    driver.on('warning', (w: string) => warnings.push(w));
    driver.start();
    await waitFor(() => driver.state === 'exited', 10_000, 'the exit to reach the machine');
    expect(driver.status().lastExit?.code).toBe(3);
    expect(warnings).toEqual(['test-task/0: forgetting the child record: disk full']);
    await new Promise((r) => setTimeout(r, 50));
    expect(rejections).toEqual([]);
  });
});
