import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Document, type Node } from 'yaml';
import type { ConfigIssue } from '../shared/types.js';

export type YamlPath = ReadonlyArray<string | number>;

export interface Position {
  line: number;
  col: number;
}

/** A parsed task file that can answer "where is this key?" for error messages. */
export interface YamlFile {
  /** The path shown in messages. */
  display: string;
  doc: Document;
  /** The file's content as plain data, or undefined when YAML syntax failed. */
  data: unknown;
  syntaxErrors: ConfigIssue[];
  /** Position of the key (`which: 'key'`) or the value at path; falls back to the deepest node found. */
  locate(path: YamlPath, which?: 'key' | 'value'): Position;
}

export function parseYamlFile(text: string, display: string): YamlFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, strict: true });
  const toPos = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, col };
  };

  const syntaxErrors: ConfigIssue[] = doc.errors.map((e) => {
    const { line, col } = toPos(e.pos[0]);
    return { file: display, line, col, message: yamlMessage(e.message, e.code) };
  });

  const locate = (path: YamlPath, which: 'key' | 'value' = 'key'): Position => {
    let node: unknown = doc.contents;
    let keyNode: Node | null = null;
    let found = 0;
    for (const seg of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
        if (!pair) break;
        keyNode = pair.key as Node;
        node = pair.value;
        found++;
      } else if (isSeq(node) && typeof seg === 'number' && node.items[seg] !== undefined) {
        keyNode = node.items[seg] as Node;
        node = node.items[seg];
        found++;
      } else {
        break;
      }
    }
    // A path not fully present points at the deepest key that is (a missing key: its parent).
    const complete = found === path.length;
    const target = complete && which === 'value' && node && (node as Node).range ? (node as Node) : keyNode ?? (node as Node | null);
    const offset = target?.range?.[0] ?? 0;
    return toPos(offset);
  };

  return {
    display,
    doc,
    data: syntaxErrors.length ? undefined : doc.toJS({ maxAliasCount: 100 }),
    syntaxErrors,
    locate,
  };
}

/** Whether the value at path was written in the file. */
export function hasPath(file: YamlFile, path: YamlPath): boolean {
  return file.doc.hasIn(path as Array<string | number>);
}

function yamlMessage(message: string, code: string): string {
  // The yaml package appends "at line X, column Y" and a code frame; we print our own position.
  const first = message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  if (code === 'DUPLICATE_KEY') return `${first}: each task name may appear once`;
  return `YAML syntax: ${first}`;
}
