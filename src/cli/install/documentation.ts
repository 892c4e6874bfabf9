import fs from 'node:fs';
import { pathToFileURL } from 'node:url';
import { packageRootOf } from '../../config/package-root.js';

/** package.json and the README of this installation (the package root, above dist/ or src/, or a bundle). */
const ROOT = pathToFileURL(`${packageRootOf(import.meta.url)}/`);
const PACKAGE_JSON = new URL('package.json', ROOT);
const README = new URL('README.md', ROOT);

/**
 * The unit file's `Documentation=`: package.json's `homepage` (or its repository's web address)
 * when it names one; else the README this installation carries, as a `file:` URI (npm always
 * packs README.md; systemd takes http(s):, file:, info: and man: URIs there); else none. Never a
 * made-up address (issue 29: it said https://github.com/jobctl/jobctl, which is not this project).
 */
export function documentationUri(pkgFile: URL = PACKAGE_JSON, readme: URL = README): string | undefined {
  try {
    const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8')) as { homepage?: unknown; repository?: unknown };
    if (typeof pkg.homepage === 'string' && /^https?:\/\//.test(pkg.homepage)) return pkg.homepage;
    const repo = typeof pkg.repository === 'string' ? pkg.repository : (pkg.repository as { url?: unknown } | undefined)?.url;
    if (typeof repo === 'string') {
      const web = repo.replace(/^git\+/, '').replace(/\.git$/, '');
      if (/^https?:\/\//.test(web)) return web;
    }
  } catch {
    /* no package.json here: fall through to the README */
  }
  return fs.existsSync(readme) ? readme.href : undefined;
}
