import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RunFiles } from '../../../src/xxljob/daemon/run-files.js';
import { tempDirs } from '../../helpers/temp.js';

const temp = tempDirs('jobctl-xxl-files-');
afterEach(() => temp.cleanup());

describe('RunFiles: GLUE sources', () => {
  // Upstream: handler/impl/ScriptJobHandler.java (constructor: "clean old script file", every
  // `<jobId>_*` in the glue dir goes when a job gets a new source version). Without it every
  // GLUE edit in the admin left a file (up to 5 MiB) behind for ever.
  it('a new source version of a job removes the files of its older versions, and only of that job', () => {
    const dir = temp.dir();
    const files = new RunFiles(path.join(dir, 'glue'), path.join(dir, 'params'));
    const sh = { interpreter: 'bash', ext: '.sh' };
    files.glue(1, { ...sh, source: 'echo v1', version: 100 });
    files.glue(11, { ...sh, source: 'echo other job', version: 100 });
    files.glue(1, { ...sh, source: 'print(2)', version: 200, interpreter: 'python3', ext: '.py' });
    const [cmd, file] = files.glue(1, { ...sh, source: 'echo v3', version: 300 });
    expect(cmd).toBe('bash');
    expect(fs.readFileSync(file!, 'utf8')).toBe('echo v3');
    expect(fs.readdirSync(path.join(dir, 'glue')).sort()).toEqual(['11_100.sh', '1_300.sh']);
    // The same version again (a SERIAL trigger) keeps its file.
    files.glue(1, { ...sh, source: 'echo v3', version: 300 });
    expect(fs.readdirSync(path.join(dir, 'glue')).sort()).toEqual(['11_100.sh', '1_300.sh']);
  });
});

describe('RunFiles: temp files', () => {
  it('a symlink planted at a temp file name is never written through', () => {
    const dir = temp.dir();
    const files = new RunFiles(path.join(dir, 'glue'), path.join(dir, 'params'));
    const victim = path.join(dir, 'victim');
    fs.writeFileSync(victim, 'precious\n');
    fs.mkdirSync(path.join(dir, 'params'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'glue'), { recursive: true });
    fs.symlinkSync(victim, path.join(dir, 'params', '7.params.tmp'));
    fs.symlinkSync(victim, path.join(dir, 'glue', '1_100.sh.tmp'));
    const p = files.params(7, 'big params');
    const [, g] = files.glue(1, { interpreter: 'bash', ext: '.sh', source: 'echo hi', version: 100 });
    expect(fs.readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(fs.readFileSync(p, 'utf8')).toBe('big params');
    expect(fs.readFileSync(g!, 'utf8')).toBe('echo hi');
    expect(fs.lstatSync(g!).mode & 0o777).toBe(0o700);
  });
});
