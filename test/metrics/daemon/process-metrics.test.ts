import fs from 'node:fs';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { registerProcessMetrics } from '../../../src/metrics/daemon/process-metrics.js';
import { parseMetrics, sample } from '../../helpers/prometheus.js';

/** The standard process_* figures of the daemon, at a cost that does not grow with what it supervises. */

afterEach(() => vi.restoreAllMocks());

describe.skipIf(process.platform !== 'linux')('standard process metrics', () => {
  it('process_open_fds counts the open fds without listing /proc/self/fd at each scrape (a cost that grows with the processes supervised)', async () => {
    const opened: number[] = [];
    try {
      for (let i = 0; i < 300; i++) opened.push(fs.openSync('/dev/null', 'r'));
      const registry = new Registry();
      registerProcessMetrics(registry);
      const listed = vi.spyOn(fs, 'readdirSync');
      const value = sample(parseMetrics(await registry.metrics()), 'process_open_fds');
      const dirListings = listed.mock.calls.filter(([p]) => String(p).startsWith('/proc/self/fd'));
      listed.mockRestore();
      const truth = fs.readdirSync('/proc/self/fd').length - 1;
      expect(value).toBeGreaterThanOrEqual(300);
      expect(Math.abs(value! - truth)).toBeLessThanOrEqual(3);
      // Linux >= 6.2 gives the count as the size of /proc/self/fd: one stat, whatever the count.
      if (fs.statSync('/proc/self/fd').size > 0) expect(dirListings).toEqual([]);
    } finally {
      for (const fd of opened) fs.closeSync(fd);
    }
  });
});
