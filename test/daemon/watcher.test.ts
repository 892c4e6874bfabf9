import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TaskWatcher } from '../../src/daemon/watcher.js';
import { tempDirs } from '../helpers/temp.js';
import { waitFor } from '../helpers/wait.js';

const temps = tempDirs('jobctl-watch-');
afterAll(temps.cleanup);

describe('TaskWatcher bursts', () => {
  it('twenty files changed at once (a git checkout) make one onChange', async () => {
    const dir = temps.dir();
    for (let i = 0; i < 20; i++) fs.writeFileSync(path.join(dir, `f${i}.yaml`), 'a');
    let calls = 0;
    let bursts = 0;
    // onBurst: the first change of each burst, so the daemon starts its config reader early.
    const w = new TaskWatcher(dir, () => calls++, { debounceMs: 100, onBurst: () => bursts++ });
    try {
      await w.ready;
      for (let i = 0; i < 20; i++) fs.writeFileSync(path.join(dir, `f${i}.yaml`), 'b');
      await waitFor(() => calls >= 1, 5000, 'the burst applied');
      // A later, single change is the next call: nothing of the burst came in between.
      fs.writeFileSync(path.join(dir, 'f0.yaml'), 'c');
      await waitFor(() => calls >= 2, 5000, 'the next change applied');
      expect(calls).toBe(2);
      expect(bursts).toBe(2);
    } finally {
      await w.close();
    }
  });

  it('a burst that never goes quiet still makes onChange after maxWaitMs', async () => {
    const dir = temps.dir();
    let calls = 0;
    const w = new TaskWatcher(dir, () => calls++, { debounceMs: 200, maxWaitMs: 400 });
    try {
      await w.ready;
      // A change every 50 ms: never 200 ms of quiet.
      let writes = 0;
      while (calls === 0 && writes < 200) {
        fs.writeFileSync(path.join(dir, 'busy.yaml'), `n: ${writes++}\n`);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(calls).toBeGreaterThanOrEqual(1);
      expect(writes).toBeLessThan(200);
    } finally {
      await w.close();
    }
  });
});
