import fs from 'node:fs';
import path from 'node:path';

/** A trigger the admin waits for a callback of: queued or running here, not yet reported. */
export interface Outstanding {
  logId: number;
  logDateTime: number;
  jobId: number;
  task: string;
  /** Once its run exists. */
  runId?: string;
}

/**
 * The outstanding triggers on disk (`state/xxljob/outstanding.json`), rewritten atomically on
 * each change: small (ids only, no params), so a daemon that stopped or crashed still reports
 * every trigger it accepted.
 */
export class OutstandingFile {
  constructor(private readonly file: string) {}

  /** What the last daemon left; nothing when the file is missing or unreadable. */
  load(): Outstanding[] {
    try {
      const saved = JSON.parse(fs.readFileSync(this.file, 'utf8')) as unknown;
      return Array.isArray(saved) ? saved.filter(isOutstanding) : [];
    } catch {
      return [];
    }
  }

  save(entries: Iterable<Outstanding>): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    fs.writeFileSync(`${this.file}.tmp`, JSON.stringify([...entries]));
    fs.renameSync(`${this.file}.tmp`, this.file);
  }
}

function isOutstanding(x: unknown): x is Outstanding {
  const o = x as Partial<Outstanding> | null;
  return typeof o === 'object' && o !== null && typeof o.logId === 'number' && typeof o.jobId === 'number' && typeof o.task === 'string'
    && typeof o.logDateTime === 'number' && (o.runId === undefined || typeof o.runId === 'string');
}
