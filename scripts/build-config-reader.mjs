// Bundles the daemon's configuration reader (dist/config/config-child.js: yaml, zod, the config
// pipeline) into one file, dist/config/config-child.cjs. The daemon starts it for every load of
// the configuration; one minified file loads in about two thirds of the time of the ~300 modules
// it is made of (zod's own included). Without the bundle the daemon runs the unbundled entry.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
for (const name of ['config-child']) {
  await build({
    entryPoints: [path.join(root, `dist/config/${name}.js`)],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: ['node20'],
    minify: true,
    legalComments: 'eof',
    outfile: path.join(root, `dist/config/${name}.cjs`),
    logLevel: 'warning',
  });
}
