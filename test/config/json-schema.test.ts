import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostFileJsonSchemaText, taskFileJsonSchema, taskFileJsonSchemaText } from '../../src/config/json-schema.js';

const root = path.resolve(import.meta.dirname, '../..');

describe('JSON Schema', () => {
  it('schema/tasks.schema.json is up to date (run `npm run schema`)', () => {
    const committed = fs.readFileSync(path.join(root, 'schema/tasks.schema.json'), 'utf8');
    expect(committed).toBe(taskFileJsonSchemaText());
  });

  it('schema/jobctl.schema.json is up to date and names every host section (run `npm run schema`)', () => {
    const committed = fs.readFileSync(path.join(root, 'schema/jobctl.schema.json'), 'utf8');
    expect(committed).toBe(hostFileJsonSchemaText());
    const parsed = JSON.parse(committed) as { properties: Record<string, unknown>; additionalProperties: boolean };
    expect(Object.keys(parsed.properties)).toEqual(['labels', 'metrics', 'xxljob', 'lock', 'notifiers', 'access']);
    expect(parsed.additionalProperties).toBe(false);
  });

  it('describes tasks with their keys and forbids unknown keys', () => {
    const schema = taskFileJsonSchema() as {
      properties: { tasks: { additionalProperties: { properties: Record<string, unknown>; additionalProperties: boolean }; propertyNames: unknown } };
    };
    const task = schema.properties.tasks.additionalProperties;
    expect(Object.keys(task.properties)).toEqual(expect.arrayContaining(['command', 'schedule', 'instances', 'scale', 'notify']));
    expect(task.additionalProperties).toBe(false);
    expect(schema.properties.tasks.propertyNames).toMatchObject({ pattern: expect.any(String) });
  });
});
