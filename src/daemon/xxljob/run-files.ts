import fs from 'node:fs';
import path from 'node:path';
import type { GlueScript } from '../../core/xxljob/trigger.js';

/**
 * The files a trigger brings with it, under `state/xxljob/`: GLUE sources (one per job and
 * source version, as ScriptJobHandler names them `<jobId>_<glueUpdatetime><suffix>`) and
 * params too large for an argument (one per logId, removed once the run is reported).
 * Written atomically, owner-only.
 */
export class RunFiles {
  constructor(private readonly glueDir: string, private readonly paramsDir: string) {}

  /** The GLUE source as a file; returns the argv that runs it (params follow as arguments). */
  glue(jobId: number, glue: GlueScript): string[] {
    const file = path.join(this.glueDir, `${Math.trunc(jobId)}_${Math.trunc(glue.version)}${glue.ext}`);
    writeAtomic(this.glueDir, file, glue.source, 0o700);
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
  fs.writeFileSync(`${file}.tmp`, text, { mode });
  fs.renameSync(`${file}.tmp`, file);
}
