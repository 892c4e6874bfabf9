import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/cli.js';

/** The README a newcomer reads first, and the docs/ it links to. */
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const DOCS = fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => path.join('docs', f));

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to dashes. */
function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}_\- ]/gu, '').replace(/ /g, '-');
}

function anchors(file: string): Set<string> {
  const text = fs.readFileSync(path.join(ROOT, file), 'utf8').replace(/^```[\s\S]*?^```/gm, '');
  return new Set([...text.matchAll(/^#+ (.+)$/gm)].map((m) => slug(m[1]!)));
}

/** Relative links `[label](target)` of a markdown file, outside code blocks. */
function links(file: string): string[] {
  const text = fs.readFileSync(path.join(ROOT, file), 'utf8').replace(/^```[\s\S]*?^```/gm, '');
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((t) => !/^[a-z]+:/.test(t));
}

describe('README', () => {
  it('is read in five minutes: at most 250 lines', () => {
    expect(README.split('\n').length).toBeLessThanOrEqual(250);
  });

  it('starts with the two commands that work on a fresh machine; .ci/run runs its test command as written', () => {
    const first = /^# jobctl\n\n```sh\n(npm ci && npm start .*)\n(npm test .*)\n```\n/.exec(README);
    expect(first, 'the README opens with the install-and-run and the test command').not.toBeNull();
    const testCommand = first![2]!.split('#')[0]!.trim();
    expect(testCommand).toBe('npm test');
    const ci = fs.readFileSync(path.join(ROOT, '.ci/run'), 'utf8').split('\n');
    expect(ci).toContain(testCommand);
  });

  it('every relative link of the README and docs/ reaches a file, and a heading when it names one', () => {
    const broken: string[] = [];
    for (const file of ['README.md', ...DOCS]) {
      for (const target of links(file)) {
        const [rel, anchor] = target.split('#') as [string, string | undefined];
        const dest = rel ? path.normalize(path.join(path.dirname(file), rel)) : file;
        if (!fs.existsSync(path.join(ROOT, dest))) broken.push(`${file}: ${target} (no file)`);
        else if (anchor && dest.endsWith('.md') && !anchors(dest).has(anchor)) broken.push(`${file}: ${target} (no heading)`);
      }
    }
    expect(broken).toEqual([]);
  });
});
