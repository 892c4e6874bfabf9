/**
 * What one process start costs the daemon's event loop: node:child_process vs execa,
 * with and without setpriv. 100 starts each, issued back to back.
 *
 *   npx tsx bench/spawn-cost.ts
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { execa } from 'execa';

const N = 100;
async function measure(label: string, start: () => ChildProcess): Promise<void> {
  const t0 = performance.now();
  const children = Array.from({ length: N }, start);
  const issued = performance.now() - t0;
  await Promise.all(children.map((c) => new Promise((r) => c.once('exit', r))));
  console.log(`${label.padEnd(34)} ${(issued / N).toFixed(2)} ms per start (${issued.toFixed(0)} ms for ${N})`);
}

const opts = { detached: true, stdio: ['ignore', 'pipe', 'pipe'] as const };
const execaOpts = { detached: true, buffer: false, reject: false, stdin: 'ignore', cleanup: false } as const;
for (let round = 0; round < 2; round++) {
  await measure('child_process.spawn true', () => spawn('true', [], { ...opts, stdio: [...opts.stdio] }));
  await measure('child_process.spawn setpriv true', () => spawn('setpriv', ['--pdeathsig', 'TERM', '--', 'true'], { ...opts, stdio: [...opts.stdio] }));
  await measure('execa true', () => execa('true', [], execaOpts) as unknown as ChildProcess);
  await measure('execa setpriv true', () => execa('setpriv', ['--pdeathsig', 'TERM', '--', 'true'], execaOpts) as unknown as ChildProcess);
}
