import { describe, expect, it } from 'vitest';
import { nativeSpawner } from '../../../src/runtime/process/native-spawner.js';
import { spawnerInfo } from '../../../src/runtime/process/start.js';
import { waitFor } from '../../helpers/wait.js';

/**
 * After a burst of starts and exits the native spawner hands the C heap's free pages back
 * (malloc_trim, native/spawn.c), once the burst is over: the daemon's RSS does not stay at what
 * the burst needed (bench/RESULTS.md, "Session 6").
 */
describe.skipIf(spawnerInfo().spawner !== 'native')('the native spawner after a burst', () => {
  it('trims the C heap once, when the starts and exits have stopped coming', async () => {
    const spawner = nativeSpawner()!;
    const before = spawner.trims;
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
    const children = await Promise.all(Array.from({ length: 40 }, () => spawner.spawn('true', 'true', [], env, '/', [], env.PATH.split(':'), false)));
    for (const c of children) {
      c.stdout.resume();
      c.stderr.resume();
    }
    const ends = await Promise.all(children.map((c) => c.exit));
    expect(ends.every((e) => e.code === 0)).toBe(true);
    // 40 starts + 40 exits: past the burst's threshold, and nothing more comes.
    await waitFor(() => spawner.trims > before, 20_000, 'a trim after the burst');
    expect(spawner.trims).toBe(before + 1);
  });
});
