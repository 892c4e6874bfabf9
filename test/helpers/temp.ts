import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A fresh temp dir, removed by the returned cleanup. */
export function tempDir(prefix = 'jobctl-test-'): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 }) };
}

/** Write files (relative path -> content) under dir. */
export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    const p = path.join(dir, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true, mode: 0o755 }); // a root daemon refuses group-writable task dirs
    fs.writeFileSync(p, text, { mode: 0o644 });
  }
}

/**
 * A `dir()` that makes a fresh temp dir each call; all of them are removed by `cleanup()`
 * (call it from the test file's afterAll).
 */
export function tempDirs(prefix?: string): { dir: () => string; cleanup: () => void } {
  const made: Array<() => void> = [];
  return {
    dir: () => {
      const t = tempDir(prefix);
      made.push(t.cleanup);
      return t.dir;
    },
    cleanup: () => made.splice(0).forEach((c) => c()),
  };
}
