import fs from 'node:fs';
import path from 'node:path';
import { replaceFile } from '../../runtime/new-file.js';
import type { GlueScript } from '../core/trigger.js';

/**
 * The files a trigger brings with it, under `state/xxljob/`: GLUE sources (one per job and
 * source version, as ScriptJobHandler names them `<jobId>_<glueUpdatetime><suffix>`) and
 * params too large for an argument (one per logId, removed once the run is reported).
 * Written atomically, owner-only.
 */
export class RunFiles {
  constructor(private readonly glueDir: string, private readonly paramsDir: string) {}

  /**
   * The GLUE source as a file; returns the argv that runs it (params follow as arguments).
   * The job's files of other versions go, as ScriptJobHandler's constructor removes `<jobId>_*`:
   * a new version ends the job's old thread, so nothing will start from them (a run still going
   * keeps its open file).
   */
  glue(jobId: number, glue: GlueScript): string[] {
    const name = `${Math.trunc(jobId)}_${Math.trunc(glue.version)}${glue.ext}`;
    const file = path.join(this.glueDir, name);
    writeAtomic(this.glueDir, file, glue.source, 0o700);
    const prefix = `${Math.trunc(jobId)}_`;
    for (const other of fs.readdirSync(this.glueDir)) {
      if (other !== name && other.startsWith(prefix)) fs.rmSync(path.join(this.glueDir, other), { force: true });
    }
    return [glue.interpreter, file];
  }

  /** Large params in a file; returns its path (for JOBCTL_PARAMS_FILE). */
  params(logId: number, params: string): string {
    const file = this.paramsFile(logId);
    writeAtomic(this.paramsDir, file, params, 0o600);
    return file;
  }

  /** Forget a run's params file (it was reported). */
  dropParams(logId: number): void {
    fs.rmSync(this.paramsFile(logId), { force: true });
  }

  /** Remove every params file (after a restart nothing they belong to will run). */
  clearParams(): void {
    fs.rmSync(this.paramsDir, { recursive: true, force: true });
  }

  private paramsFile(logId: number): string {
    return path.join(this.paramsDir, `${Math.trunc(logId)}.params`);
  }
}

function writeAtomic(dir: string, file: string, text: string, mode: number): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  replaceFile(file, `${file}.tmp`, text, mode);
}
