import path from 'node:path';
import { packageRootOf } from '../config/package-root.js';

/** The JSON Schema shipped in the package (`schema/` beside `dist/` and `src/`; package.json "files"). */
export const SHIPPED_SCHEMA = path.join(packageRootOf(import.meta.url), 'schema/tasks.schema.json');

/**
 * How a task file in `dir` refers to the shipped schema: a short relative path when the
 * package is near (a checkout: `../schema/tasks.schema.json`), else the absolute path of
 * this installation. Both resolve on this host without a network.
 */
export function schemaRefFor(dir: string): string {
  const rel = path.relative(path.resolve(dir), SHIPPED_SCHEMA);
  const ups = rel.split(path.sep).filter((s) => s === '..').length;
  return ups <= 2 ? rel : SHIPPED_SCHEMA;
}
