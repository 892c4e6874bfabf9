import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { documentationUri } from '../../../src/cli/install/documentation.js';
import { systemdUnit } from '../../../src/cli/install/units.js';
import { tempDirs } from '../../helpers/temp.js';

const dirs = tempDirs('jobctl-doc-');
afterAll(() => dirs.cleanup());

/** A package root with these files; returns the URLs documentationUri reads. */
function pkg(files: Record<string, string>): [URL, URL] {
  const d = dirs.dir();
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(d, name), text);
  return [pathToFileURL(path.join(d, 'package.json')), pathToFileURL(path.join(d, 'README.md'))];
}

describe('the unit file\'s Documentation=', () => {
  it('is package.json\'s homepage, else its repository\'s web address, else the shipped README, else absent', () => {
    expect(documentationUri(...pkg({ 'package.json': '{"homepage": "https://example.org/jobctl"}', 'README.md': '#' }))).toBe('https://example.org/jobctl');
    expect(documentationUri(...pkg({ 'package.json': '{"repository": {"type": "git", "url": "git+https://git.example.org/ops/jobctl.git"}}' }))).toBe('https://git.example.org/ops/jobctl');
    const [p, readme] = pkg({ 'package.json': '{"repository": "git@host:ops/jobctl.git"}', 'README.md': '# jobctl' });
    expect(documentationUri(p, readme)).toBe(readme.href);
    expect(documentationUri(...pkg({ 'package.json': '{}' }))).toBeUndefined();
  });

  it('this checkout has no homepage (none is true yet): the README shipped with it', () => {
    expect(documentationUri()).toMatch(/^file:\/\/\/.*\/README\.md$/);
  });

  it('is left out of the unit when there is none', () => {
    const t = { home: '/srv/jobs', node: '/usr/bin/node', script: '/opt/jobctl/dist/bin/jobctl.js', user: false };
    expect(systemdUnit(t)).not.toContain('Documentation=');
    expect(systemdUnit({ ...t, documentation: 'https://example.org/jobctl' })).toContain('\nDocumentation=https://example.org/jobctl\nAfter=');
  });
});
