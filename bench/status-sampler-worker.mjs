/**
 * The loop of `StatusSampler` (daemon-process.ts), in a worker thread of its own: the benchmark's
 * main thread polls /proc synchronously (2,000 processes: ~100 ms a scan), and a status timed on
 * that thread would count the scan as the daemon's delay.
 */
import { parentPort, workerData } from 'node:worker_threads';
// Plain JS on the build's client (`npm run build` first, as for every daemon benchmark): a worker
// thread does not inherit tsx's loader on Node 20.
import { JobctlClient } from '../dist/api/client.js';

/** @type {{ socket: string; gapMs: number }} */
const { socket, gapMs } = workerData;
/** [end of the call (Date.now()), latency ms] each. @type {Array<[number, number]>} */
const latencies = [];
let running = true;
/** @type {number | undefined} */
let pendingSince;

parentPort.on('message', () => {
  running = false;
  // A call still waiting counts with what it has waited so far.
  const waited = pendingSince === undefined ? [] : [[Date.now(), performance.now() - pendingSince]];
  parentPort.postMessage([...latencies, ...waited]);
  process.exit(0);
});

while (running) {
  pendingSince = performance.now();
  try {
    const c = await JobctlClient.connect(socket, { connectTimeoutMs: 600_000 });
    try {
      await c.call('status', {}, 600_000);
    } finally {
      c.close();
    }
    latencies.push([Date.now(), performance.now() - pendingSince]);
  } catch {
    /* the daemon is going: keep what was measured */
    pendingSince = undefined;
    break;
  }
  pendingSince = undefined;
  await new Promise((r) => setTimeout(r, gapMs));
}
