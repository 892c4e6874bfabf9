import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { JobctlError } from '../shared/errors.js';

/** The page, built by `npm run build` (scripts/build-web.mjs) into dist/page/. */
const CANDIDATES = [
  // dist/web/assets.js -> dist/page
  path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../page'),
  // src/web/assets.ts (tsx, tests) -> dist/page
  path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/page'),
];

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.map': 'application/json; charset=utf-8',
};

export interface Asset {
  body: Buffer;
  type: string;
}

/**
 * Every file of the built page, read once at start: served from memory, from a fixed list
 * (a request names a file of that list or gets a 404; no path reaches the disk).
 */
export function loadAssets(dir?: string): Map<string, Asset> {
  const root = dir ?? CANDIDATES.find((d) => fs.existsSync(path.join(d, 'index.html')));
  if (!root) throw new JobctlError('IO_ERROR', `the web page is not built (no ${CANDIDATES[0]}/index.html): run \`npm run build\``);
  const out = new Map<string, Asset>();
  for (const name of fs.readdirSync(root)) {
    const type = TYPES[path.extname(name)];
    const file = path.join(root, name);
    if (type && fs.statSync(file).isFile()) out.set(name, { body: fs.readFileSync(file), type });
  }
  return out;
}
