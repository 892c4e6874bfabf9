import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * DESIGN.md "Layout": dependencies point one way. cli and tui talk to the daemon only
 * through api/client, so they never import runtime/, daemon/ or api/server.
 * A feature slice (src/xxljob/, src/fleet-lock/, src/metrics/) keeps its files in one folder, split by the same layers
 * (src/xxljob/core/ is pure like src/core/), and is entered from the rest only where the
 * daemon wires it in (SLICE_ENTRIES).
 */
const SRC = path.resolve(import.meta.dirname, '../src');
const ALLOWED: Record<string, string[]> = {
  shared: ['shared'],
  config: ['shared', 'config'],
  core: ['shared', 'core'],
  runtime: ['shared', 'config', 'core', 'runtime'],
  daemon: ['shared', 'config', 'core', 'runtime', 'daemon', 'api'],
  api: ['shared', 'config', 'core', 'runtime', 'daemon', 'api'],
  /** How a task reads on a screen (one row model for the CLI, the TUI, top and the web view). */
  view: ['shared', 'view'],
  cli: ['shared', 'config', 'core', 'api', 'cli', 'tui', 'web', 'view'],
  tui: ['shared', 'api', 'tui', 'view'],
  web: ['shared', 'config', 'api', 'tui', 'web', 'view'],
  bin: ['shared', 'config', 'cli', 'daemon', 'bin'],
};
const SLICES = ['xxljob', 'fleet-lock', 'metrics'];
/** The only files outside a slice that import it. */
const SLICE_ENTRIES: Record<string, string[]> = {
  xxljob: ['config/host-settings.ts', 'daemon/main.ts'],
  'fleet-lock': ['config/host-settings.ts', 'daemon/main.ts'],
  metrics: ['config/host-settings.ts', 'daemon/main.ts'],
};
const FORBIDDEN_IN_CORE = ['node:child_process', 'node:fs', 'node:net', 'node:timers', 'child_process', 'fs', 'net', 'execa', 'chokidar', 'lowdb'];

function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? files(p) : /\.tsx?$/.test(e.name) ? [p] : [];
  });
}

function imports(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => (m[1] ?? m[2])!);
}

/** A file's layer: its top folder under src/, or inside a slice the folder below the slice's. */
function layerOf(rel: string): string {
  const [top, sub] = rel.split(path.sep);
  return SLICES.includes(top!) ? sub! : top!;
}

describe('architecture', () => {
  for (const file of files(SRC)) {
    const rel = path.relative(SRC, file);
    const layer = layerOf(rel);
    it(`${rel} respects its layer`, () => {
      for (const spec of imports(file)) {
        if (spec.startsWith('.')) {
          const target = layerOf(path.relative(SRC, path.resolve(path.dirname(file), spec)));
          expect(ALLOWED[layer] ?? [], `${rel} imports ${spec}`).toContain(target);
          if (layer === 'cli' || layer === 'tui' || layer === 'web') {
            expect(spec, `${rel} imports ${spec}`).not.toMatch(/api\/server/);
          }
        } else if (layer === 'core' || layer === 'shared') {
          expect(FORBIDDEN_IN_CORE, `${rel} imports ${spec}`).not.toContain(spec);
        }
      }
    });
  }

  for (const slice of SLICES) {
    it(`src/${slice}/ is entered only where the daemon wires it in`, () => {
      const entries = files(SRC).map((f) => path.relative(SRC, f)).filter((rel) => rel.split(path.sep)[0] !== slice && imports(path.join(SRC, rel)).some(
        (spec) => spec.startsWith('.') && path.relative(SRC, path.resolve(path.dirname(path.join(SRC, rel)), spec)).split(path.sep)[0] === slice,
      ));
      expect(entries.sort()).toEqual(SLICE_ENTRIES[slice]);
    });
  }
});
