/** Writes schema/tasks.schema.json from the zod schema (`npm run schema`). */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { taskFileJsonSchemaText } from '../src/config/json-schema.js';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const target = path.join(root, 'schema', 'tasks.schema.json');
fs.mkdirSync(path.dirname(target), { recursive: true });
fs.writeFileSync(target, taskFileJsonSchemaText());
console.log(`wrote ${path.relative(root, target)}`);
