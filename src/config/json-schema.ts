import { z } from 'zod';
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
