/** `jobctl help keys`: every task-file key with its default, read from the JSON Schema. */

interface SchemaNode {
  type?: string | string[];
  description?: string;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: SchemaNode | boolean;
  required?: string[];
  enum?: unknown[];
  anyOf?: SchemaNode[];
}

export interface KeyRow {
  key: string;
  default: string;
  meaning: string;
}

const DEFAULT_RE = /\s*\(default:?\s*([^)]*)\)/;

/** One row per key, nested objects as `logs.max_size`; the default comes from "(default …)". */
function rows(node: SchemaNode, prefix: string, out: KeyRow[]): void {
  const required = new Set(node.required ?? []);
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    const name = `${prefix}${key}`;
    const desc = child.description ?? '';
    const m = desc.match(DEFAULT_RE);
    const values = child.enum ? ` (${child.enum.join(' | ')})` : '';
    const meaning = desc.replace(DEFAULT_RE, '').trim() + (values && !desc.includes(String(child.enum![0])) ? values : '');
    const isObject = child.properties !== undefined;
    out.push({ key: name, default: required.has(key) ? 'required' : m ? m[1]!.trim() : isObject ? '' : '-', meaning: meaning || (isObject ? 'a map of:' : '') });
    if (isObject) rows(child, `${name}.`, out);
  }
}

/** Sections of the file: a task's keys, a notifier's keys. */
export function keyRows(schema: SchemaNode): { tasks: KeyRow[]; notifiers: KeyRow[] } {
  const entry = (k: string) => {
    const n = schema.properties?.[k]?.additionalProperties;
    return typeof n === 'object' ? n : {};
  };
  const tasks: KeyRow[] = [];
  const notifiers: KeyRow[] = [];
  rows(entry('tasks'), '', tasks);
  rows(entry('notifiers'), '', notifiers);
  return { tasks, notifiers };
}
