import fs from 'node:fs';
import path from 'node:path';

/** The static imports reachable from a built entry: the files visited, and each package import as `file -> package` (relative to `root`). */
export function staticImports(entry: string, root: string): { files: Set<string>; packages: Array<{ from: string; spec: string }> } {
  const files = new Set<string>();
  const packages: Array<{ from: string; spec: string }> = [];
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^(?:import|export)\s(?!type\s)[^;]*?from\s+['"]([^'"]+)['"]|^import\s+['"]([^'"]+)['"]/gm)) {
      const spec = (m[1] ?? m[2])!;
      if (spec.startsWith('.')) visit(path.resolve(path.dirname(file), spec));
      else packages.push({ from: path.relative(root, file), spec });
    }
  };
  visit(entry);
  return { files, packages };
}
