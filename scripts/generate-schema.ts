/** Writes schema/tasks.schema.json and schema/jobctl.schema.json from the zod schemas (`npm run schema`). */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { hostFileJsonSchemaText, taskFileJsonSchemaText } from '../src/config/json-schema.js';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
for (const [name, text] of [['tasks.schema.json', taskFileJsonSchemaText()], ['jobctl.schema.json', hostFileJsonSchemaText()]] as const) {
  const target = path.join(root, 'schema', name);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.writeFileSync(target, text);
  console.log(`wrote ${path.relative(root, target)}`);
}
