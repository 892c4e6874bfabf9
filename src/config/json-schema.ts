import { z } from 'zod';
import { hostFileSchema } from './host-settings.js';
import { fileSchema } from './schema.js';

/** The JSON Schema editors use to complete and check task files (`schema/tasks.schema.json`). */
export function taskFileJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(fileSchema, { io: 'input', target: 'draft-7', unrepresentable: 'any' }) as Record<string, unknown>;
  return {
    ...schema,
    $id: 'https://github.com/jobctl/jobctl/schema/tasks.schema.json',
    title: 'jobctl task file',
    description: 'A file of tasks/ for jobctl: tasks:, optional defaults: and notifiers:.',
  };
}

export function taskFileJsonSchemaText(): string {
  return `${JSON.stringify(taskFileJsonSchema(), null, 2)}\n`;
}

/** The JSON Schema of `<home>/jobctl.yaml` (`schema/jobctl.schema.json`). */
export function hostFileJsonSchemaText(): string {
  const schema = z.toJSONSchema(hostFileSchema, { io: 'input', target: 'draft-7', unrepresentable: 'any' }) as Record<string, unknown>;
  return `${JSON.stringify({
    ...schema,
    $id: 'https://github.com/jobctl/jobctl/schema/jobctl.schema.json',
    title: 'jobctl host settings',
    description: '<home>/jobctl.yaml: labels, metrics, xxljob, lock, notifiers and access (rights per operator) of this host\'s daemon.',
  }, null, 2)}\n`;
}
