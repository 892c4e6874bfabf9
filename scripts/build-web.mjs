// Bundles the browser page (web/) into dist/page/: one script, one stylesheet, index.html.
// React and uPlot are bundled here, at build time: the page loads nothing from the network.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'dist/page');
fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(out, { recursive: true });
await build({
  entryPoints: { app: path.join(root, 'web/src/main.tsx') },
  bundle: true,
  format: 'esm',
  target: ['es2022'],
  minify: !process.env.JOBCTL_WEB_NO_MINIFY,
  sourcemap: true,
  legalComments: 'eof',
  jsx: 'automatic',
  define: { 'process.env.NODE_ENV': '"production"' },
  outdir: out,
  logLevel: 'warning',
});
fs.copyFileSync(path.join(root, 'web/index.html'), path.join(out, 'index.html'));
