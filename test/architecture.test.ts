import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * DESIGN.md "Layout": dependencies point one way. cli and tui talk to the daemon only
 * through api/client, so they never import runtime/, daemon/ or api/server.
 */
const SRC = path.resolve(import.meta.dirname, '../src');
const ALLOWED: Record<string, string[]> = {
  shared: ['shared'],
  config: ['shared', 'config'],
  core: ['shared', 'core'],
  runtime: ['shared', 'config', 'core', 'runtime'],
  daemon: ['shared', 'config', 'core', 'runtime', 'daemon', 'api'],
  api: ['shared', 'config', 'core', 'runtime', 'daemon', 'api'],
  cli: ['shared', 'config', 'core', 'api', 'cli', 'tui', 'web'],
  tui: ['shared', 'api', 'tui'],
  web: ['shared', 'config', 'api', 'tui', 'web'],
  bin: ['cli', 'daemon', 'bin'],
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

describe('architecture', () => {
  for (const file of files(SRC)) {
    const rel = path.relative(SRC, file);
    const layer = rel.split(path.sep)[0]!;
    it(`${rel} respects its layer`, () => {
      for (const spec of imports(file)) {
        if (spec.startsWith('.')) {
          const target = path.relative(SRC, path.resolve(path.dirname(file), spec)).split(path.sep)[0]!;
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
});
