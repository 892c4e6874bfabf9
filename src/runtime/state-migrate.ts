import fs from 'node:fs';
import path from 'node:path';
import { TASK_NAME_RE } from '../shared/names.js';
import type { RunRecord } from '../shared/types.js';
import type { ChildJournal, ChildRecord } from './child-journal.js';
import { rewriteJsonLines } from './jsonl.js';
import { isRunRecord } from './run-history-file.js';

/** db.json as versions before 2 wrote it: everything, run history included, in one file. */
export interface DbV1 {
  version: 1;
  children?: Record<string, ChildRecord>;
  runs?: Record<string, RunRecord[]>;
  lastScheduled?: Record<string, number>;
  manualScale?: Record<string, number>;
}

export function isDbV1(v: unknown): v is DbV1 {
  return typeof v === 'object' && v !== null && (v as { version?: unknown }).version === 1;
}

export interface MigrationResult {
  backup: string;
  tasks: number;
  runs: number;
  children: number;
  /** What could not be carried over (bad task names, malformed records). */
  skipped: string[];
}

/**
 * Carry a version-1 db.json over to the version-2 layout: run history into one JSON-lines
 * file per task under `runsDir`, child records into the journal; what is left (last fire
 * times, scale overrides) is returned for db.json. The original is copied to
 * `db.json.bak-v1` first. Every step can be redone: a crash half-way repeats the migration
 * from the untouched db.json on the next start.
 */
export function migrateV1(file: string, old: DbV1, runsDir: string, journal: ChildJournal): MigrationResult & { lastScheduled: unknown; manualScale: unknown } {
  const backup = `${file}.bak-v1`;
  if (!fs.existsSync(backup)) {
    // Copied under another name first: a kill mid-copy never leaves half a backup that looks whole.
    // EXCL: a symlink planted at the temp name is never written through.
    fs.rmSync(`${backup}.tmp`, { force: true });
    fs.copyFileSync(file, `${backup}.tmp`, fs.constants.COPYFILE_EXCL);
    fs.renameSync(`${backup}.tmp`, backup);
  }
  fs.mkdirSync(runsDir, { recursive: true });
  const skipped: string[] = [];
  let tasks = 0;
  let runs = 0;
  for (const [task, records] of Object.entries(old.runs ?? {})) {
    if (!TASK_NAME_RE.test(task) || !Array.isArray(records)) {
      skipped.push(`runs of "${task}"`);
      continue;
    }
    const good = records.filter((r): r is RunRecord => isRunRecord(r) && r.task === task);
    if (good.length < records.length) skipped.push(`${records.length - good.length} malformed run record(s) of "${task}"`);
    rewriteJsonLines(path.join(runsDir, `${task}.jsonl`), good);
    tasks++;
    runs += good.length;
  }
  let children = 0;
  for (const [key, c] of Object.entries(old.children ?? {})) {
    if (typeof c?.pid !== 'number' || typeof c.pgid !== 'number') {
      skipped.push(`child record "${key}"`);
      continue;
    }
    journal.add(key, c);
    children++;
  }
  // Checked, like any db.json's, by the store.
  return { backup, tasks, runs, children, skipped, lastScheduled: old.lastScheduled, manualScale: old.manualScale };
}
