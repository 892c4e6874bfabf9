import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/program.js';
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

  it('a section that what jobctl prints or ships points to (README "X", docs/F.md "X") is a heading of that file', () => {
    const shipped = ['src', 'deploy'].flatMap((d) => tree(d)).concat(['tasks.example.yaml']);
    const pointers: string[] = [];
    const broken: string[] = [];
    for (const file of shipped) {
      const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
      // `README "How tasks run"`, `docs/running.md "How tasks run"` (quotes may be JSON-escaped), `README: Prometheus`.
      for (const m of text.matchAll(/\b(README|docs\/[a-z0-9-]+\.md):? ?\\?"([^"\\\n]+)\\?"|\bREADME: ([A-Z][\w ]*\w)/g)) {
        const doc = m[1] === undefined || m[1] === 'README' ? 'README.md' : m[1];
        const section = (m[2] ?? m[3])!;
        pointers.push(`${file}: ${doc} "${section}"`);
        if (!anchors(doc).has(slug(section))) broken.push(`${file}: ${doc} has no heading "${section}"`);
      }
    }
    expect(pointers.length, 'the shipped files point to sections (contain.ts, the alert rules)').toBeGreaterThan(0);
    expect(broken).toEqual([]);
  });
});

describe('README commands', () => {
  it('the commands on one screen name every command `jobctl --help` lists (dial-stdio, the far end of ssh, aside)', async () => {
    let help = '';
    await runCli(['--help'], { io: { out: (t) => (help += t), err: (t) => (help += t), color: false } });
    const listed = [...help.slice(help.indexOf('Commands:')).matchAll(/^ {2}([a-z][a-z-]*)/gm)].map((m) => m[1]!);
    expect(listed.length).toBeGreaterThan(20);
    const block = /^## Commands\n\n```\n([\s\S]*?)^```/m.exec(README)![1]!;
    const named = new Set([...block.matchAll(/jobctl ([a-z][a-z|-]*)/g)].flatMap((m) => m[1]!.split('|')));
    expect(listed.filter((c) => !named.has(c) && c !== 'dial-stdio')).toEqual([]);
  });
});

describe('docs/development.md', () => {
  it('its source layout names every folder of src/', () => {
    const layout = fs.readFileSync(path.join(ROOT, 'docs/development.md'), 'utf8');
    const folders = fs.readdirSync(path.join(ROOT, 'src'), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    expect(folders.filter((f) => !new RegExp(`^src/${f}\\s`, 'm').test(layout))).toEqual([]);
  });
});

/** The files under a folder of the checkout, relative to it. */
function tree(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.join(dir, e.name);
    return e.isDirectory() ? tree(rel) : [rel];
  });
}
