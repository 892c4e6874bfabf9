import fs from 'node:fs';
import path from 'node:path';
import { Document, isMap, isScalar, parseDocument, visit, type Pair, type YAMLMap } from 'yaml';
import { JobctlError } from '../shared/errors.js';

/**
 * Text edits of task files for `jobctl add` and `jobctl rm`. The yaml Document API finds
 * where things are; only the lines of the task itself are written or removed, so every
 * other byte of the file (comments, order, blank lines, quoting) stays as it was.
 */

/** The editor hint at the top of a new task file; `schemaRef` is a path or URL of the JSON Schema. */
export function schemaLine(schemaRef = '../schema/tasks.schema.json'): string {
  return `# yaml-language-server: $schema=${schemaRef}`;
}

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

function lineEnd(text: string, offset: number): number {
  const nl = text.indexOf('\n', offset);
  return nl === -1 ? text.length : nl + 1;
}

function columnOf(text: string, offset: number): number {
  return offset - lineStart(text, offset);
}

function tasksPair(text: string): { map: YAMLMap; tasks?: Pair } {
  const doc = parseDocument(text, { keepSourceTokens: true });
  if (doc.errors.length) throw new JobctlError('INVALID_CONFIG', `the file is not valid YAML (${doc.errors[0]!.message.split('\n')[0]}); fix it first (\`jobctl validate\`)`);
  const root = doc.contents;
  if (root === null || root === undefined) return { map: undefined as unknown as YAMLMap };
  if (!isMap(root)) throw new JobctlError('INVALID_CONFIG', 'the file is not a map with tasks:; fix it first');
  const tasks = root.items.find((p) => isScalar(p.key) && p.key.value === 'tasks') as Pair | undefined;
  return { map: root, ...(tasks ? { tasks } : {}) };
}

/** The YAML lines of one task, indented under `tasks:` by `indent` (key) and `step` (its keys). */
export function renderTask(name: string, task: Record<string, unknown>, indent: number, step: number): string {
  const doc = new Document({ [name]: task });
  // Lists of plain values (a command's argv) read best on one line.
  visit(doc, { Seq: (_, seq) => { if (seq.items.every((i) => isScalar(i))) seq.flow = true; } });
  const body = doc.toString({ indent: step, lineWidth: 0 });
  const pad = ' '.repeat(indent);
  return body.split('\n').filter((l) => l !== '').map((l) => pad + l).join('\n') + '\n';
}

/**
 * Add a task to a file's text (undefined: a new file, headed by the schema line for
 * `schemaRef`). Throws if the name is already in it.
 */
export function addTaskToText(text: string | undefined, name: string, task: Record<string, unknown>, schemaRef?: string): string {
  if (text === undefined || text.trim() === '') {
    return `${schemaLine(schemaRef)}\ntasks:\n${renderTask(name, task, 2, 2)}`;
  }
  const { map, tasks } = tasksPair(text);
  const withNl = text.endsWith('\n') ? text : `${text}\n`;
  if (!map || !tasks) {
    // No tasks: key yet: add one at the end.
    return `${withNl}tasks:\n${renderTask(name, task, 2, 2)}`;
  }
  const value = tasks.value;
  if (value === null || value === undefined || (isScalar(value) && (value.value === null || value.value === ''))) {
    // `tasks:` with nothing under it: the task goes on the next line.
    const keyNode = tasks.key as { range?: [number, number, number] };
    const at = lineEnd(withNl, keyNode.range![0]);
    return withNl.slice(0, at) + renderTask(name, task, columnOf(withNl, keyNode.range![0]) + 2, 2) + withNl.slice(at);
  }
  if (!isMap(value)) throw new JobctlError('INVALID_CONFIG', 'tasks: is not a map of tasks; fix it first');
  if (value.flow) throw new JobctlError('INVALID_CONFIG', 'tasks: is written as a flow map {…}; add the task by hand');
  if (value.items.some((p) => isScalar(p.key) && p.key.value === name)) {
    throw new JobctlError('ALREADY_RUNNING', `task "${name}" is already in this file`);
  }
  const first = value.items[0]!;
  const indent = columnOf(withNl, (first.key as { range: [number, number, number] }).range[0]);
  // The step of the existing tasks' keys, to match their style.
  let step = 2;
  const firstVal = first.value;
  if (isMap(firstVal) && firstVal.items[0] && !firstVal.flow) {
    step = Math.max(1, columnOf(withNl, (firstVal.items[0].key as { range: [number, number, number] }).range[0]) - indent);
  }
  // Insert after the last line of the last task's value (before anything that follows the map).
  const last = value.items[value.items.length - 1]!;
  const lastEnd = ((last.value as { range?: [number, number, number] } | null)?.range?.[1]) ?? (last.key as { range: [number, number, number] }).range[1];
  const at = lineEnd(withNl, Math.max(0, lastEnd - 1));
  // Tasks separated by blank lines get one before the new task too.
  const lastKeyLine = lineStart(withNl, (last.key as { range: [number, number, number] }).range[0]);
  const spaced = value.items.length > 1 && /\n\s*\n(\s*#[^\n]*\n)*$/.test(withNl.slice(0, lastKeyLine));
  return withNl.slice(0, at) + (spaced ? '\n' : '') + renderTask(name, task, indent, step) + withNl.slice(at);
}

/** Remove a task's lines from a file's text. Throws NOT_FOUND if it is not there. */
export function removeTaskFromText(text: string, name: string): string {
  const { tasks } = tasksPair(text);
  const value = tasks?.value;
  if (!isMap(value)) throw new JobctlError('NOT_FOUND', `task "${name}" is not in this file`);
  if (value.flow) throw new JobctlError('INVALID_CONFIG', 'tasks: is written as a flow map {…}; remove the task by hand');
  const pair = value.items.find((p) => isScalar(p.key) && p.key.value === name);
  if (!pair) throw new JobctlError('NOT_FOUND', `task "${name}" is not in this file`);
  const keyStart = (pair.key as { range: [number, number, number] }).range[0];
  let start = lineStart(text, keyStart);
  // Comment lines right above the key, at its indentation, describe the task: they go with it.
  const indent = keyStart - start;
  for (;;) {
    if (start === 0) break;
    const prev = lineStart(text, start - 1);
    const line = text.slice(prev, start - 1);
    if (line.length - line.trimStart().length === indent && line.trimStart().startsWith('#')) start = prev;
    else break;
  }
  const valueEnd = ((pair.value as { range?: [number, number, number] } | null)?.range?.[1]) ?? (pair.key as { range: [number, number, number] }).range[1];
  let end = lineEnd(text, Math.max(start, valueEnd - 1));
  // Do not leave two blank lines where one separated the task from its neighbours.
  const before = text.slice(0, start);
  const after = text.slice(end);
  if ((before.endsWith('\n\n') || before === '') && /^[ \t]*\n/.test(after)) end += after.indexOf('\n') + 1;
  else if (before.endsWith('\n\n') && (after === '' || /^\S/.test(after))) start -= 1;
  return closeEmptyTasks(text.slice(0, start) + text.slice(end));
}

/** `tasks:` left with nothing under it (its last task removed) becomes `tasks: {}`, not a null stub. */
function closeEmptyTasks(text: string): string {
  const { tasks } = tasksPair(text);
  const v = tasks?.value;
  if (!tasks || !(v === null || v === undefined || (isScalar(v) && (v.value === null || v.value === '')))) return text;
  const keyEnd = (tasks.key as { range: [number, number, number] }).range[1];
  const colon = text.indexOf(':', keyEnd);
  return `${text.slice(0, colon + 1)} {}${text.slice(colon + 1)}`;
}

/**
 * True when a task file says nothing but `tasks: {}` (and comments): `jobctl rm` of its last
 * task then removes the file instead of leaving an empty stub.
 */
export function isEmptyTaskFile(text: string): boolean {
  const { map, tasks } = tasksPair(text);
  if (!map) return true;
  if (map.items.length !== (tasks ? 1 : 0)) return false;
  return !tasks || (isMap(tasks.value) && tasks.value.items.length === 0);
}

/** Write through a dot-file in the same directory and rename: never a half-written task file. */
export function writeAtomic(file: string, text: string): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    const fd = fs.openSync(tmp, 'w', 0o644);
    try {
      fs.writeSync(fd, text);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    if (fs.existsSync(file)) fs.chmodSync(tmp, fs.statSync(file).mode & 0o777);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw new JobctlError('IO_ERROR', `cannot write ${file}: ${(e as Error).message}`, { cause: e });
  }
}

/** A short line diff of an edit: the lines removed and added, with a few of context. */
export function shortDiff(before: string, after: string): string[] {
  const a = before.split('\n');
  const b = after.split('\n');
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const out: string[] = [];
  for (const l of a.slice(head, a.length - tail)) out.push(`- ${l}`);
  for (const l of b.slice(head, b.length - tail)) out.push(`+ ${l}`);
  return out;
}
