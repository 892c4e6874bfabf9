import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { staticImports } from '../helpers/import-graph.js';

/**
 * Issue 28, the daemon's memory: what the resident daemon loads at start (the static imports
 * from dist/daemon/entry.js). zod, yaml and the config pipeline run in a child process per load
 * (daemon/config-reader.ts); the socket is checked without zod (shared/param-check.ts); what only
 * some hosts use (prom-client, ioredis, the xxl-job executor, execa) is imported on demand.
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
const NOT_RESIDENT_PACKAGES = /^(zod|yaml|ioredis|prom-client|execa|ink|react|blessed|blessed-contrib|commander)(\/|$)/;
const NOT_RESIDENT_FILES = [
  'config/load.js', 'config/schema.js', 'config/host-settings.js', 'config/yaml-file.js', 'config/normalize.js',
  'shared/protocol-params.js', 'xxljob/daemon/service.js', 'metrics/daemon/collector.js', 'fleet-lock/runtime/redis-lock.js',
];

describe('the resident daemon', () => {
  it('loads neither zod nor yaml nor the config pipeline, nor what only some hosts use, at start (static imports of dist/daemon/entry.js)', () => {
    const { files, packages } = staticImports(path.join(ROOT, 'dist/daemon/entry.js'), ROOT);
    expect(files.size).toBeGreaterThan(50);
    expect(packages.some((p) => p.spec === 'chokidar')).toBe(true); // the walk sees packages
    expect(packages.filter((p) => NOT_RESIDENT_PACKAGES.test(p.spec)).map((p) => `${p.from} -> ${p.spec}`)).toEqual([]);
    const rel = [...files].map((f) => path.relative(path.join(ROOT, 'dist'), f));
    expect(rel.filter((f) => NOT_RESIDENT_FILES.includes(f))).toEqual([]);
  });
});
