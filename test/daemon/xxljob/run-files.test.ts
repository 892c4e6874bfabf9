import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RunFiles } from '../../../src/daemon/xxljob/run-files.js';
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
