/**
 * The socket's params checks without zod: the subset of JSON Schema that z.toJSONSchema makes
 * of shared/protocol-params.ts (objects without unknown keys, strings, numbers, integers,
 * booleans, arrays, enums, constants, unions). The schemas themselves are generated
 * (shared/protocol-checks.generated.ts); a keyword outside this subset fails the generation
 * (KNOWN_KEYWORDS), so a check is never silently skipped.
 */
export interface ParamSchema {
  type?: 'object' | 'string' | 'number' | 'integer' | 'boolean' | 'array';
  properties?: Record<string, ParamSchema>;
  required?: string[];
  additionalProperties?: false;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  items?: ParamSchema;
  minItems?: number;
  maxItems?: number;
  enum?: ReadonlyArray<string | number | boolean | null>;
  const?: string | number | boolean | null;
  anyOf?: ParamSchema[];
}

export const KNOWN_KEYWORDS: ReadonlySet<string> = new Set([
  'type', 'properties', 'required', 'additionalProperties', 'minLength', 'maxLength', 'minimum', 'maximum',
  'exclusiveMinimum', 'exclusiveMaximum', 'items', 'minItems', 'maxItems', 'enum', 'const', 'anyOf',
]);

export interface ParamIssue {
  path: Array<string | number>;
  message: string;
}

const kindOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
const show = (v: unknown): string => JSON.stringify(v);

/** Every problem of `value` against `schema` (none: valid). */
export function checkParams(schema: ParamSchema, value: unknown, at: Array<string | number> = []): ParamIssue[] {
  const issue = (message: string, path = at): ParamIssue[] => [{ path, message }];
  if (schema.anyOf) {
    const all = schema.anyOf.map((s) => checkParams(s, value, at));
    if (all.some((i) => i.length === 0)) return [];
    return issue(`invalid value ${show(value)}: ${all.map((i) => i.map((x) => x.message).join(', ')).join(' or ')}`);
  }
  if (schema.const !== undefined && value !== schema.const) return issue(`expected ${show(schema.const)}`);
  if (schema.enum && !schema.enum.includes(value as never)) return issue(`expected one of ${schema.enum.map(show).join(', ')}`);
  switch (schema.type) {
    case 'string':
      if (typeof value !== 'string') return issue(`expected string, got ${kindOf(value)}`);
      if (schema.minLength !== undefined && value.length < schema.minLength) return issue(`too short: at least ${schema.minLength} character(s)`);
      if (schema.maxLength !== undefined && value.length > schema.maxLength) return issue(`too long: at most ${schema.maxLength} characters`);
      return [];
    case 'number':
    case 'integer':
      if (typeof value !== 'number' || !Number.isFinite(value)) return issue(`expected number, got ${kindOf(value)}`);
      if (schema.type === 'integer' && !Number.isInteger(value)) return issue('expected an integer');
      if (schema.minimum !== undefined && value < schema.minimum) return issue(`too small: at least ${schema.minimum}`);
      if (schema.maximum !== undefined && value > schema.maximum) return issue(`too big: at most ${schema.maximum}`);
      if (schema.exclusiveMinimum !== undefined && value <= schema.exclusiveMinimum) return issue(`too small: more than ${schema.exclusiveMinimum}`);
      if (schema.exclusiveMaximum !== undefined && value >= schema.exclusiveMaximum) return issue(`too big: less than ${schema.exclusiveMaximum}`);
      return [];
    case 'boolean':
      return typeof value === 'boolean' ? [] : issue(`expected boolean, got ${kindOf(value)}`);
    case 'array': {
      if (!Array.isArray(value)) return issue(`expected array, got ${kindOf(value)}`);
      if (schema.minItems !== undefined && value.length < schema.minItems) return issue(`too short: at least ${schema.minItems} item(s)`);
      if (schema.maxItems !== undefined && value.length > schema.maxItems) return issue(`too long: at most ${schema.maxItems} items`);
      const items = schema.items;
      return items ? value.flatMap((v, i) => checkParams(items, v, [...at, i])) : [];
    }
    case 'object': {
      if (kindOf(value) !== 'object') return issue(`expected object, got ${kindOf(value)}`);
      const obj = value as Record<string, unknown>;
      const props = schema.properties ?? {};
      const out: ParamIssue[] = [];
      const unknown = Object.keys(obj).filter((k) => !Object.hasOwn(props, k));
      if (schema.additionalProperties === false && unknown.length) out.push({ path: at, message: `unrecognized key(s): ${unknown.map(show).join(', ')}` });
      for (const k of schema.required ?? []) if (obj[k] === undefined) out.push({ path: [...at, k], message: 'required' });
      for (const [k, s] of Object.entries(props)) if (obj[k] !== undefined) out.push(...checkParams(s, obj[k], [...at, k]));
      return out;
    }
    default:
      return [];
  }
}
