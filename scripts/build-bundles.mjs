// Bundles what the daemon runs, from the compiled dist/ (after `tsc`):
// - the configuration reader (dist/config/config-child.js: yaml, zod, the config pipeline) into one
//   file, dist/config/config-child.cjs. The daemon starts it for every load of the configuration;
//   one minified file loads in about two thirds of the time of the ~300 modules it is made of.
// - the daemon (dist/daemon/entry.js) into dist/daemon-bundle/: an entry plus chunks, split where
//   the code imports on demand (the xxl-job executor, metrics, the Redis lock stay unloaded until a
//   host's settings use them). A resident daemon made of ~180 modules holds their module records
//   and sources; one bundle keeps ~3 MB less (bench/RESULTS.md, "Session 6").
//   The bundle sits at the depth of dist/daemon/, so paths relative to a module (the config
//   reader's) hold; the native addon is found from the package root.
// - the CLI (dist/cli/program.js) into dist/cli-bundle/, split the same way (the TUI, `top`, the web
//   view, the config pipeline load on demand). Only our own modules: packages stay imports of
//   node_modules (blessed and Ink read files beside their own sources). A command then reads a
//   handful of files instead of ~100 modules (bench/RESULTS.md, "Session 7").
// Each runs from its bundle when it is there (src/bin/bundles.ts), else from the modules.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const common = { bundle: true, platform: 'node', target: ['node20'], minify: true, legalComments: 'eof', logLevel: 'warning' };

await build({
  ...common,
  entryPoints: [path.join(root, 'dist/config/config-child.js')],
  format: 'cjs',
  outfile: path.join(root, 'dist/config/config-child.cjs'),
});

/** An ES module entry plus chunks split where the code imports on demand, into a fresh `dist/<dir>`. */
async function splitBundle(name, entry, dir, extra) {
  const outdir = path.join(root, dir);
  fs.rmSync(outdir, { recursive: true, force: true });
  await build({
    ...common,
    // Names and lines kept (syntax minified only): a stack trace in the daemon log reads as the
    // code does, for ~0.5 MB of RSS more than a minified bundle.
    minify: false,
    minifySyntax: true,
    entryPoints: { [name]: path.join(root, entry) },
    format: 'esm',
    splitting: true,
    outdir,
    ...extra,
  });
  // ASCII only: V8 keeps each module's source for lazy compilation, and one character beyond
  // Latin-1 (a `…` or `×` in a kept comment) stores all of it as UTF-16, twice the bytes (the
  // daemon's entry of 370 KB held 0.74 MB of heap; issue 28). esbuild escapes strings and regexps
  // already (charset: ascii); what is left is in comments, where an escape reads the same.
  for (const name of fs.readdirSync(outdir)) {
    if (!name.endsWith('.js')) continue;
    const file = path.join(outdir, name);
    const text = fs.readFileSync(file, 'utf8');
    const ascii = text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    if (ascii !== text) fs.writeFileSync(file, ascii);
  }
}

await splitBundle('entry', 'dist/daemon/entry.js', 'dist/daemon-bundle', {
  // CommonJS packages inside an ES module bundle call require(): give them Node's.
  banner: { js: 'import { createRequire as __jobctlRequire } from "node:module"; const require = __jobctlRequire(import.meta.url);' },
});
await splitBundle('program', 'dist/cli/program.js', 'dist/cli-bundle', { packages: 'external' });
