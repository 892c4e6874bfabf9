import fs from 'node:fs';
import path from 'node:path';
import { schemaLine } from '../config/edit.js';
import { homePaths } from '../shared/paths.js';

/** The first task file of a new home: one harmless task of each kind, every line explained. */
export function exampleTaskFile(schemaRef: string): string {
  return `${schemaLine(schemaRef)}
#
# A jobctl task file. Every *.yaml file in tasks/ is read; its name is the group of
# its tasks (this file: @example). Save it and a running daemon applies it at once.
# \`jobctl help keys\` lists every key with its default; \`jobctl validate\` checks the files.
tasks:
  # A cron task has a schedule: 5 fields, or 6 with seconds first (@hourly, @daily… too).
  hello:
    schedule: "0 * * * * *"           # every minute, at second 0
    command: echo "hello from jobctl at $(date)"
    timeout: 30s                       # stop a run that takes longer

  # A service task has no schedule: jobctl keeps it running and restarts it when it exits.
  # Remove the # of the lines below to try one (each process gets JOBCTL_INSTANCE=0, 1…).
  # worker:
  #   command: while true; do echo "worker $JOBCTL_INSTANCE alive"; sleep 5; done
  #   instances: 2
  #   restart: always                  # always | on-failure | never
`;
}

export interface InitResult {
  home: string;
  /** Paths created (or a line added to .gitignore). */
  created: string[];
  /** Task files that were already there (nothing was written into tasks/). */
  existingTaskFiles: number;
}

/**
 * Make `dir` a jobctl home: tasks/ with a commented example, state/ (0700) kept out of
 * git. Idempotent: what exists is left alone, so it never overwrites a task.
 */
export function initHome(dir: string, schemaRefFor: (dir: string) => string): InitResult {
  const paths = homePaths(path.resolve(dir));
  const created: string[] = [];
  // What init creates is writable by its owner only, whatever the umask: the daemon refuses
  // task files (and their directories) writable by others, or by the group when it runs as
  // root (config/file-trust.ts), so a umask of 002 must not make a home it then refuses.
  const ownerWriteOnly = (p: string) => fs.chmodSync(p, fs.statSync(p).mode & 0o7755);
  const mkdir = (p: string, mode?: number) => {
    if (fs.existsSync(p)) return;
    fs.mkdirSync(p, { recursive: true, ...(mode !== undefined ? { mode } : {}) });
    ownerWriteOnly(p);
    created.push(`${p}/`);
  };
  mkdir(paths.home);
  mkdir(paths.tasks);
  mkdir(paths.state, 0o700);
  const existing = fs.readdirSync(paths.tasks).filter((f) => /\.ya?ml$/i.test(f)).length;
  if (existing === 0) {
    const file = path.join(paths.tasks, 'example.yaml');
    fs.writeFileSync(file, exampleTaskFile(schemaRefFor(paths.tasks)), { flag: 'wx' });
    ownerWriteOnly(file);
    created.push(file);
  }
  const ignore = path.join(paths.home, '.gitignore');
  const text = fs.existsSync(ignore) ? fs.readFileSync(ignore, 'utf8') : undefined;
  if (!text?.split('\n').some((l) => ['state', 'state/', '/state', '/state/'].includes(l.trim()))) {
    const prefix = text === undefined || text === '' || text.endsWith('\n') ? text ?? '' : `${text}\n`;
    fs.writeFileSync(ignore, `${prefix}# jobctl runtime data: socket, pid file, db.json, logs\n/state/\n`);
    if (text === undefined) ownerWriteOnly(ignore);
    created.push(text === undefined ? ignore : `${ignore} (+ /state/)`);
  }
  return { home: paths.home, created, existingTaskFiles: existing };
}
