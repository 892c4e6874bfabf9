import fs from 'node:fs';
import path from 'node:path';
import type { ConfigIssue, ConfigSet, FileSummary, NotifierSpec, TaskSpec } from '../shared/types.js';
import { normalizeNotifier, normalizeTask, applyDefaults } from './normalize.js';
import { FILE_KEYS, defaultsSchema, notifierSchema, taskSchema, type RawDefaults } from './schema.js';
import { didYouMean } from '../shared/suggest.js';
import { NAME_HINT, isValidTaskName } from '../shared/names.js';
import { findCycle } from '../shared/dependency-graph.js';
import { TASK_VALIDATORS } from './validators.js';
import { SLICE_TASK_CHECKS } from './host-settings.js';
import { TrustChecker, type TrustOptions } from './file-trust.js';
import { hasPath, parseYamlFile, type YamlFile, type YamlPath } from './yaml-file.js';
import { zodProblems, type KeyProblem } from './zod-issues.js';

/**
 * The loader pipeline: find files -> parse (positions kept) -> apply `defaults:` ->
 * schema -> normalize -> per-task validators -> cross-file validators.
 * Every problem is reported, sorted by file and line; nothing stops at the first.
 */

export interface SourceFile {
  /** Absolute path. */
  path: string;
  /** Path shown in messages. */
  display: string;
  text: string;
}

const TASK_FILE_RE = /\.ya?ml$/i;

/** Every `*.yaml`/`*.yml` below dir (subfolders too), skipping dot-files and node_modules; sorted. */
export function findTaskFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.name.startsWith('.') || e.name === 'node_modules') continue;
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if ((e.isFile() || e.isSymbolicLink()) && TASK_FILE_RE.test(e.name)) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

export interface LoadOptions extends TrustOptions {
  /** Notifier names defined outside the directory (jobctl.yaml), valid in `notify.to`. */
  notifiers?: readonly string[];
}

/**
 * Reads and validates a task directory. `displayDir` is how the directory is named in messages.
 * Files that someone other than the daemon's user (or root) could have written are refused
 * (config/file-trust.ts): each is an invalid file, so the daemon keeps its last good version.
 */
export function loadTaskDir(dir: string, displayDir: string = dir, opts: LoadOptions = {}): ConfigSet {
  const abs = path.resolve(dir);
  if (!fs.existsSync(abs)) {
    return {
      dir: abs, tasks: [], notifiers: [], files: [],
      errors: [{ file: displayDir, line: 0, col: 0, message: `task directory ${displayDir} does not exist; create it or pass another with --home` }],
    };
  }
  const checker = new TrustChecker(abs, opts);
  const rootProblem = checker.checkRoot();
  if (rootProblem) {
    // Like a missing directory: nothing in it is read, and what runs keeps running.
    return { dir: abs, tasks: [], notifiers: [], files: [], errors: [{ file: displayDir, line: 0, col: 0, message: rootProblem.replace(`its directory ${abs} is`, 'the task directory is') }] };
  }
  const sources: SourceFile[] = [];
  const readErrors: ConfigIssue[] = [];
  const refused: FileSummary[] = [];
  for (const p of findTaskFiles(abs)) {
    const display = path.join(displayDir, path.relative(abs, p));
    const problem = checker.check(p);
    if (problem) {
      readErrors.push({ file: display, line: 1, col: 1, message: problem });
      refused.push({ file: display, path: p, group: groupOf(p), tasks: [], notifiers: [], errors: 1 });
      continue;
    }
    try {
      sources.push({ path: p, display, text: fs.readFileSync(p, 'utf8') });
    } catch (e) {
      readErrors.push({ file: display, line: 0, col: 0, message: `cannot read: ${(e as Error).message}` });
    }
  }
  const set = loadTaskFiles(abs, sources, opts);
  set.errors = sortIssues([...readErrors, ...set.errors]);
  set.files = [...set.files, ...refused].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  return set;
}

interface ParsedFile {
  source: SourceFile;
  yaml: YamlFile;
  group: string;
  tasks: TaskSpec[];
  notifiers: NotifierSpec[];
  errors: ConfigIssue[];
}

export function loadTaskFiles(dir: string, sources: SourceFile[], opts: LoadOptions = {}): ConfigSet {
  const files = sources.map(loadFile);
  crossFileChecks(files, opts.notifiers ?? []);
  const valid = files.filter((f) => f.errors.length === 0);
  const summaries: FileSummary[] = files.map((f) => ({
    file: f.source.display,
    path: f.source.path,
    group: f.group,
    tasks: f.tasks.map((t) => t.name),
    notifiers: f.notifiers.map((n) => n.name),
    errors: f.errors.length,
  }));
  return {
    dir,
    tasks: valid.flatMap((f) => f.tasks),
    notifiers: valid.flatMap((f) => f.notifiers),
    files: summaries,
    errors: sortIssues(files.flatMap((f) => f.errors)),
  };
}

export function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  return [...issues].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.col - b.col));
}

function groupOf(filePath: string): string {
  return path.basename(filePath).replace(TASK_FILE_RE, '');
}

function loadFile(source: SourceFile): ParsedFile {
  const yaml = parseYamlFile(source.text, source.display);
  const file: ParsedFile = { source, yaml, group: groupOf(source.path), tasks: [], notifiers: [], errors: [...yaml.syntaxErrors] };
  if (file.errors.length) return file;

  const report = (p: YamlPath, message: string, opts: { task?: string; key?: string; atKey?: boolean } = {}) => {
    const { line, col } = yaml.locate(p, opts.atKey ? 'key' : 'value');
    file.errors.push({
      file: source.display, line, col, message,
      ...(opts.task !== undefined ? { task: opts.task } : {}),
      ...(opts.key !== undefined ? { key: opts.key } : {}),
    });
  };

  const data = yaml.data;
  if (data === null || data === undefined) return file; // empty file: no tasks
  if (!isMap(data)) {
    report([], 'a task file is a map with `tasks:` (and optional `defaults:` and `notifiers:`)');
    return file;
  }
  for (const key of Object.keys(data)) {
    if (!(FILE_KEYS as readonly string[]).includes(key)) {
      report([key], `unknown top-level key "${key}"${didYouMean(key, FILE_KEYS)}; a file has tasks:, defaults: and notifiers:`, { atKey: true, key });
    }
  }

  // defaults:
  let defaults: RawDefaults | undefined;
  if (data.defaults !== undefined && data.defaults !== null) {
    const parsed = defaultsSchema.safeParse(data.defaults, { reportInput: true });
    if (parsed.success) defaults = parsed.data;
    else {
      const notADefault = (at: ReadonlyArray<string | number>, key: string) =>
        at.length === 0 && (key === 'schedule' || key === 'command') ? `"${key}" cannot be a default; set it on each task` : undefined;
      for (const p of zodProblems(parsed.error, (at) => knownKeys(['defaults', ...at]), notADefault)) {
        report(['defaults', ...p.path], `defaults: ${p.message}`, { atKey: p.atKey, key: keyOf(p.path) });
      }
    }
  }

  // notifiers:
  if (data.notifiers !== undefined && data.notifiers !== null) {
    if (!isMap(data.notifiers)) report(['notifiers'], 'notifiers: expected a map of name -> {url, format}');
    else {
      for (const [name, raw] of Object.entries(data.notifiers)) {
        if (!isValidTaskName(name)) report(['notifiers', name], `invalid notifier name "${name}": ${NAME_HINT}`, { atKey: true });
        const parsed = notifierSchema.safeParse(raw, { reportInput: true });
        if (!parsed.success) {
          for (const p of zodProblems(parsed.error, () => ['url', 'format'])) {
            report(['notifiers', name, ...p.path], `notifier "${name}": ${p.message}`, { atKey: p.atKey, key: keyOf(p.path) });
          }
          continue;
        }
        const { line } = yaml.locate(['notifiers', name]);
        file.notifiers.push(normalizeNotifier(name, parsed.data, { file: source.path, line }));
      }
    }
  }

  // tasks:
  if (data.tasks === undefined || data.tasks === null) return file;
  if (!isMap(data.tasks)) {
    report(['tasks'], 'tasks: expected a map of task name -> task');
    return file;
  }
  for (const [name, rawTask] of Object.entries(data.tasks)) {
    const taskPath = ['tasks', name];
    const at = (p: ReadonlyArray<string | number>, atKey: boolean, message: string) => {
      // A problem in a value inherited from `defaults:` points at the defaults block.
      const own = [...taskPath, ...p];
      const where = p.length === 0 || hasPath(yaml, own) || !hasPath(yaml, ['defaults', ...p]) ? own : ['defaults', ...p];
      report(where, message, { task: name, key: keyOf(p), atKey });
    };
    if (!isMap(rawTask)) {
      at([], false, `task "${name}" must be a map of keys with at least \`command\``);
      continue;
    }
    const merged = applyDefaults(defaults, rawTask);
    const parsed = taskSchema.safeParse(merged, { reportInput: true });
    const problems: KeyProblem[] = parsed.success ? [] : zodProblems(parsed.error, knownKeys);
    let spec: TaskSpec | undefined;
    if (parsed.success) {
      const { line } = yaml.locate(taskPath);
      spec = normalizeTask(parsed.data, {
        name, group: file.group, fileDir: path.dirname(source.path), source: { file: source.path, line },
      });
    }
    for (const validate of TASK_VALIDATORS) problems.push(...validate({ name, own: rawTask, merged, ...(spec ? { spec } : {}) }));
    for (const p of problems) at(p.path, p.atKey, p.message);
    if (spec && problems.length === 0) file.tasks.push(spec);
  }
  return file;
}

/** Unique task and notifier names across files (both places reported); notify.to references. */
function crossFileChecks(files: ParsedFile[], outsideNotifiers: readonly string[]): void {
  const taskAt = new Map<string, { file: ParsedFile; line: number }>();
  const notifierAt = new Map<string, { file: ParsedFile; line: number }>();
  const issue = (file: ParsedFile, p: YamlPath, message: string, task?: string): void => {
    const { line, col } = file.yaml.locate(p);
    file.errors.push({ file: file.source.display, line, col, message, ...(task !== undefined ? { task } : {}) });
  };
  const names = (f: ParsedFile, key: 'tasks' | 'notifiers'): string[] => {
    const data = f.yaml.data;
    const section = isMap(data) ? data[key] : undefined;
    return isMap(section) ? Object.keys(section) : [];
  };

  for (const f of files) {
    for (const name of names(f, 'tasks')) {
      const line = f.yaml.locate(['tasks', name]).line;
      const first = taskAt.get(name);
      if (!first) {
        taskAt.set(name, { file: f, line });
        continue;
      }
      issue(f, ['tasks', name], `task name "${name}" is already used in ${first.file.source.display}:${first.line}; task names are unique across the directory`, name);
      issue(first.file, ['tasks', name], `task name "${name}" is used again in ${f.source.display}:${line}; task names are unique across the directory`, name);
    }
    for (const name of names(f, 'notifiers')) {
      const line = f.yaml.locate(['notifiers', name]).line;
      const first = notifierAt.get(name);
      if (!first) {
        notifierAt.set(name, { file: f, line });
        continue;
      }
      issue(f, ['notifiers', name], `notifier "${name}" is already defined in ${first.file.source.display}:${first.line}`);
      issue(first.file, ['notifiers', name], `notifier "${name}" is defined again in ${f.source.display}:${line}`);
    }
  }

  // The checks feature slices bring (xxl-job's handler names), over every task as written.
  const placed = files.flatMap((f) => f.tasks.map((spec) => ({
    spec, file: f.source.display, parsed: f, lineOf: (keyPath: YamlPath) => f.yaml.locate(['tasks', spec.name, ...keyPath]).line,
  })));
  for (const check of SLICE_TASK_CHECKS) {
    for (const p of check(placed)) {
      const { parsed, spec } = p.task as (typeof placed)[number];
      issue(parsed, ['tasks', spec.name, ...p.keyPath], p.message, spec.name);
    }
  }

  const known = [...notifierAt.keys(), ...outsideNotifiers];
  for (const f of files) {
    for (const t of f.tasks) {
      (t.notify?.to ?? []).forEach((to, i) => {
        if (notifierAt.has(to) || outsideNotifiers.includes(to)) return;
        const own = hasPath(f.yaml, ['tasks', t.name, 'notify', 'to', i]);
        issue(f, own ? ['tasks', t.name, 'notify', 'to', i] : ['defaults', 'notify', 'to', i],
          `notify.to: unknown notifier "${to}"${didYouMean(to, known)}; define it under a top-level notifiers: map (in a task file or jobctl.yaml)`, t.name);
      });
    }
  }
  dependencyChecks(files, new Set(taskAt.keys()), issue);
  for (const f of files) {
    // A task that failed a cross-file check is not valid.
    const bad = new Set(f.errors.map((e) => e.task).filter(Boolean));
    f.tasks = f.tasks.filter((t) => !bad.has(t.name));
  }
}

/**
 * `depends_on`: every named task exists, fits its condition (`healthy` needs `health:`,
 * `completed` a task that ends), and no chain of dependencies comes back to where it began.
 */
function dependencyChecks(files: ParsedFile[], allNames: Set<string>, issue: (f: ParsedFile, p: YamlPath, message: string, task?: string) => void): void {
  const specs = new Map(files.flatMap((f) => f.tasks.map((t) => [t.name, { spec: t, file: f }] as const)));
  const where = (f: ParsedFile, task: string, dep: string): YamlPath =>
    hasPath(f.yaml, ['tasks', task, 'depends_on', dep]) ? ['tasks', task, 'depends_on', dep] : ['defaults', 'depends_on', dep];
  const known = [...allNames];
  for (const { spec: t, file: f } of specs.values()) {
    for (const [dep, condition] of Object.entries(t.dependsOn ?? {})) {
      const at = where(f, t.name, dep);
      if (dep === t.name) {
        issue(f, at, `depends_on: "${t.name}" cannot depend on itself; remove it`, t.name);
        continue;
      }
      if (!allNames.has(dep)) {
        issue(f, at, `depends_on: unknown task "${dep}"${didYouMean(dep, known)}; name a task defined in the task directory`, t.name);
        continue;
      }
      const target = specs.get(dep)?.spec;
      if (!target) continue; // invalid elsewhere: that file's own error says why
      if (condition === 'healthy' && (target.kind !== 'service' || !target.health)) {
        issue(f, at, `depends_on: "${dep}" has no health check, so it is never healthy; add health: to ${dep} or use "started"`, t.name);
      } else if (condition === 'completed' && target.kind === 'service' && target.restart === 'always') {
        issue(f, at, `depends_on: "${dep}" restarts always, so it never completes; use "started" or "healthy", or give ${dep} restart: on-failure`, t.name);
      }
    }
  }
  const edges = new Map([...specs.values()].map(({ spec }) => [spec.name, Object.keys(spec.dependsOn ?? {}).filter((d) => d !== spec.name)]));
  const cycle = findCycle(edges);
  if (!cycle) return;
  const chain = cycle.join(' -> ');
  for (let i = 0; i < cycle.length - 1; i++) {
    const { file } = specs.get(cycle[i]!)!;
    issue(file, where(file, cycle[i]!, cycle[i + 1]!), `depends_on: a cycle: ${chain}; remove one of these dependencies`, cycle[i]);
  }
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function keyOf(p: ReadonlyArray<string | number>): string | undefined {
  return p.length ? p.map(String).join('.') : undefined;
}

/** Keys a map at this path of a task accepts, for "did you mean". */
function knownKeys(at: ReadonlyArray<string | number>): readonly string[] {
  const rel = at[0] === 'defaults' ? at.slice(1) : at;
  if (rel.length === 0) return Object.keys(taskSchema.shape);
  const sub = (taskSchema.shape as Record<string, unknown>)[String(rel[0])];
  const inner = unwrap(sub);
  return inner && typeof inner === 'object' && 'shape' in inner ? Object.keys((inner as { shape: object }).shape) : [];
}

function unwrap(schema: unknown): unknown {
  let s = schema as { unwrap?: () => unknown } | undefined;
  while (s && typeof s.unwrap === 'function') s = s.unwrap() as typeof s;
  return s;
}
