import fs from 'node:fs';
import path from 'node:path';
import { shortDiff, writeAtomic } from '../config/edit.js';
import { findTaskFiles, loadTaskFiles, type SourceFile } from '../config/load.js';
import { displayPath } from '../shared/paths.js';
import { formatIssue } from './render/issues.js';
import { CliError, painter, type Io } from './output.js';

/** The task directory as sources, with one file's text replaced, added, or (null) removed. */
function sourcesWith(tasksDir: string, file: string, text: string | null | undefined): SourceFile[] {
  const files = new Set(findTaskFiles(tasksDir));
  if (text !== undefined && text !== null) files.add(file);
  if (text === null) files.delete(file);
  return [...files].sort().map((p) => ({
    path: p,
    display: displayPath(p),
    text: p === file ? text ?? '' : fs.readFileSync(p, 'utf8'),
  }));
}

/**
 * Check an edit of one task file (`after`: its new text, or null when the file goes)
 * against the whole directory; refuse it with the errors it would cause.
 */
function checkEdit(tasksDir: string, file: string, before: string | undefined, after: string | null): void {
  const rel = displayPath(file);
  if (before !== undefined) {
    const now = loadTaskFiles(tasksDir, sourcesWith(tasksDir, file, before)).errors.filter((e) => e.file === rel);
    if (now.length) {
      throw new CliError(`${rel} is already invalid; fix it first:\n${now.map((e) => `  ${formatIssue(e)}`).join('\n')}`);
    }
  }
  // Only the errors this edit causes: another file that was already broken (the daemon keeps
  // its last good version) must not block an edit of this one.
  const already = new Set(loadTaskFiles(tasksDir, sourcesWith(tasksDir, file, before ?? null)).errors.map(formatIssue));
  const errors = loadTaskFiles(tasksDir, sourcesWith(tasksDir, file, after)).errors.filter((e) => !already.has(formatIssue(e)));
  if (errors.length) {
    throw new CliError(`not written: the change would make the task files invalid:\n${errors.map((e) => `  ${formatIssue(e)}`).join('\n')}`);
  }
}

/** The summary line, the diff, and how the change gets applied (and committed, in git). */
function report(io: Io, tasksDir: string, file: string, before: string, after: string, summary: string): void {
  const rel = displayPath(file);
  const paint = painter(io.color);
  io.out(`${rel}: ${summary}`);
  for (const l of shortDiff(before, after)) io.out(l.startsWith('+') ? paint('green', l) : paint('red', l));
  const inGit = fs.existsSync(path.join(path.dirname(tasksDir), '.git')) || fs.existsSync(path.join(tasksDir, '.git'));
  io.out(paint('dim', `the daemon's watcher applies it on save${inGit ? `; commit it: git add ${rel} && git commit -m "jobctl: ${summary}"` : ''}`));
}

/**
 * Validate an edit of one task file against the whole directory, refuse it with the
 * errors it would cause, else write it atomically and print a short diff and a hint.
 */
export function applyTaskFileEdit(io: Io, tasksDir: string, file: string, before: string | undefined, after: string, summary: string): void {
  checkEdit(tasksDir, file, before, after);
  writeAtomic(file, after);
  report(io, tasksDir, file, before ?? '', after, summary);
}

/** Remove a task file whose last task goes (validated like an edit). */
export function removeTaskFile(io: Io, tasksDir: string, file: string, before: string, summary: string): void {
  checkEdit(tasksDir, file, before, null);
  fs.rmSync(file);
  report(io, tasksDir, file, before, '', summary);
}
