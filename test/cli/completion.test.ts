import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/cli.js';
import { tempDir, writeFiles } from '../helpers/temp.js';

const t = tempDir('jobctl-completion-');
afterAll(() => t.cleanup());
const home = path.join(t.dir, 'home');
writeFiles(home, {
  'tasks/billing.yaml': 'tasks:\n  invoices:\n    schedule: "@daily"\n    command: x\n  billing-worker:\n    command: y\n',
  'tasks/web.yaml': 'tasks:\n  web:\n    command: z\n',
});
// `jobctl` on PATH, as the completion script calls it.
const bin = path.join(t.dir, 'bin');
fs.mkdirSync(bin);
fs.writeFileSync(path.join(bin, 'jobctl'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`, { mode: 0o755 });

const DEFAULT_BREAKS = ' \t\n"\'><=;|&(:';

/** Complete `line` in bash with the given COMP_WORDBREAKS; what bash would offer. */
async function complete(line: string, breaks = DEFAULT_BREAKS): Promise<string[]> {
  const script = `source <(jobctl completion bash)
COMP_LINE="$LINE"; COMP_POINT=\${#COMP_LINE}; COMP_WORDBREAKS="$BREAKS"
_jobctl
printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = await execa('bash', ['-c', script], { env: { PATH: `${bin}:${process.env.PATH}`, JOBCTL_HOME: home, LINE: line, BREAKS: breaks } });
  return r.stdout.split('\n').filter(Boolean).sort();
}

describe('bash completion', () => {
  it('completes commands, task names, and @group names', async () => {
    expect(await complete('jobctl sta')).toEqual(['start', 'status']);
    expect(await complete('jobctl restart ')).toEqual(['--all', '@billing', '@web', 'billing-worker', 'invoices', 'web']);
    expect(await complete('jobctl stop @')).toEqual(['@billing', '@web']);
    expect(await complete('jobctl stop @b')).toEqual(['@billing']);
    // one task only: no groups for logs, history, run…
    expect(await complete('jobctl logs ')).toEqual(['billing-worker', 'invoices', 'web']);
    expect(await complete('jobctl logs web ')).toEqual([]);
    expect(await complete('jobctl help k')).toEqual(['keys', 'kill']);
  });

  it('with "@" in COMP_WORDBREAKS, offers only the text after the "@" (what bash replaces)', async () => {
    const breaks = `${DEFAULT_BREAKS}@`;
    expect(await complete('jobctl start @b', breaks)).toEqual(['billing']);
    expect(await complete('jobctl start @', breaks)).toEqual(['billing', 'web']);
    expect(await complete('jobctl start i', breaks)).toEqual(['invoices']);
  });

  it('follows --home on the line', async () => {
    const other = path.join(t.dir, 'other');
    writeFiles(other, { 'tasks/ops.yaml': 'tasks:\n  backup:\n    command: b\n' });
    expect(await complete(`jobctl --home ${other} start `)).toEqual(['--all', '@ops', 'backup']);
  });
});

describe('zsh completion', () => {
  it('offers the same target list (names and @groups) to compadd', async () => {
    const r = await execa(process.execPath, [CLI, 'completion', 'zsh']);
    expect(r.stdout).toContain('_complete targets');
    expect(r.stdout).toMatch(/status\|start\|stop\|restart\) compadd -- --all/);
    const targets = await execa(process.execPath, [CLI, '_complete', 'targets'], { env: { JOBCTL_HOME: home } });
    expect(targets.stdout.split('\n').sort()).toEqual(['@billing', '@web', 'billing-worker', 'invoices', 'web']);
  });
});
