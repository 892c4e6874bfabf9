/** Writes schema/tasks.schema.json, schema/jobctl.schema.json and the daemon's protocol checks from the zod schemas (`npm run schema`). */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { hostFileJsonSchemaText, taskFileJsonSchemaText } from '../src/config/json-schema.js';
import { protocolChecksText } from '../src/config/protocol-checks-text.js';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
for (const [name, text] of [['tasks.schema.json', taskFileJsonSchemaText()], ['jobctl.schema.json', hostFileJsonSchemaText()]] as const) {
  const target = path.join(root, 'schema', name);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.writeFileSync(target, text);
  console.log(`wrote ${path.relative(root, target)}`);
}

// The daemon's checks of the socket's params, from the zod schemas (shared/protocol-params.ts).
const checks = path.join(root, 'src/shared/protocol-checks.generated.ts');
fs.writeFileSync(checks, protocolChecksText());
console.log(`wrote ${path.relative(root, checks)}`);
