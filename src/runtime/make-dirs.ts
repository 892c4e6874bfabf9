import fs from 'node:fs';
import path from 'node:path';

/**
 * `mkdir -p`, one level at a time. Node's `mkdirSync(dir, {recursive: true})` never returns
 * where mkdir of a missing child answers ENOENT under a parent that exists (a home given under
 * /proc or /sys): it retries the parent and the child forever, on the loop's thread, so not even
 * SIGTERM ends the daemon. Here each missing level is made once, and the first refusal throws.
 */
export function makeDirs(dir: string, mode?: number): void {
  const missing: string[] = [];
  for (let d = path.resolve(dir); !fs.existsSync(d); d = path.dirname(d)) {
    missing.push(d);
    if (path.dirname(d) === d) break;
  }
  for (const d of missing.reverse()) {
    try {
      fs.mkdirSync(d, mode === undefined ? {} : { mode });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}
