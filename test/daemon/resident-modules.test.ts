import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { staticImports } from '../helpers/import-graph.js';
import { tempDir } from '../helpers/temp.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Issue 28, the daemon's memory: what the resident daemon loads at start (the static imports
 * from dist/daemon/entry.js). zod, yaml and the config pipeline run in a child process per load
 * (daemon/config-reader.ts); the socket is checked without zod (shared/param-check.ts); what only
 * some hosts use (prom-client, ioredis, the xxl-job executor, execa) is imported on demand.
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
const NOT_RESIDENT_PACKAGES = /^(zod|yaml|ioredis|prom-client|execa|ink|react|blessed|blessed-contrib|commander|dotenv)(\/|$)/;
/**
 * Builtins an empty home (no tasks, default host settings) does not use, each 0.5–2.5 MB resident
 * (issue 28): http (metrics, xxl-job, web), crypto (OpenSSL; probes' run ids, dotenv's vault),
 * perf_hooks (the global `performance` loads it on first use).
 */
const NOT_RESIDENT_BUILTINS = /^(node:)?(http|https|crypto|perf_hooks|http2|tls|zlib|worker_threads)$/;
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
    expect(packages.filter((p) => NOT_RESIDENT_BUILTINS.test(p.spec)).map((p) => `${p.from} -> ${p.spec}`)).toEqual([]);
    const rel = [...files].map((f) => path.relative(path.join(ROOT, 'dist'), f));
    expect(rel.filter((f) => NOT_RESIDENT_FILES.includes(f))).toEqual([]);
  });

  it('an empty home\'s daemon, as `jobctl up` starts it, has loaded none of those builtins (dotenv would bring crypto), and its bundle is ASCII (one UTF-16 source doubles its heap)', async () => {
    for (const f of fs.readdirSync(path.join(ROOT, 'dist/daemon-bundle')).filter((n) => n.endsWith('.js'))) {
      expect(/[^\x00-\x7f]/.test(fs.readFileSync(path.join(ROOT, 'dist/daemon-bundle', f), 'utf8')), f).toBe(false);
    }
    const { dir: home, cleanup } = tempDir();
    fs.mkdirSync(path.join(home, 'tasks'));
    const out = path.join(home, 'modules.json');
    // A preload that writes the modules loaded so far when asked (SIGUSR2), once the daemon is up.
    const preload = path.join(home, 'dump.cjs');
    fs.writeFileSync(preload, `process.on('SIGUSR2', () => require('fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify(process.moduleLoadList)));\n`);
    const child = spawn(process.execPath, ['--max-semi-space-size=1', '-r', preload, path.join(ROOT, 'dist/bin/jobctl.js'), '--home', home, 'daemon'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    try {
      await waitFor(() => / up: 0 task\(s\)/.test(stderr), 20_000, 'the daemon up');
      child.kill('SIGUSR2');
      await waitFor(() => fs.existsSync(out), 10_000, 'the module list');
      const loaded = (JSON.parse(fs.readFileSync(out, 'utf8')) as string[]).filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice('NativeModule '.length));
      expect(loaded).toContain('net'); // (the list is the daemon's)
      expect(loaded.filter((m) => NOT_RESIDENT_BUILTINS.test(m) || m.startsWith('internal/crypto/') || m.startsWith('_http_'))).toEqual([]);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(undefined) : child.once('exit', r)));
      cleanup();
    }
  });
});
