import { z } from 'zod';
import { KNOWN_KEYWORDS, type ParamSchema } from '../shared/param-check.js';
import { METHOD_PARAMS } from '../shared/protocol-params.js';

/**
 * shared/protocol-checks.generated.ts, made from the zod schemas of the socket's params
 * (shared/protocol-params.ts) through their JSON Schema, so that the daemon checks requests
 * without loading zod and the schemas stay the single source. `npm run schema` writes it; a
 * test holds the committed file equal to this text.
 */
export function protocolParamSchemas(): Record<string, ParamSchema> {
  const out: Record<string, ParamSchema> = {};
  for (const [method, schema] of Object.entries(METHOD_PARAMS)) {
    const json = z.toJSONSchema(schema, { io: 'input', target: 'draft-7' }) as Record<string, unknown>;
    delete json.$schema;
    assertKnown(json, method);
    out[method] = json as ParamSchema;
  }
  return out;
}

/** A keyword the daemon's checker does not know would be a check silently skipped: refuse it. */
function assertKnown(node: unknown, where: string): void {
  if (!node || typeof node !== 'object') return;
  const s = node as Record<string, unknown>;
  for (const k of Object.keys(s)) {
    if (!KNOWN_KEYWORDS.has(k)) throw new Error(`protocol params of ${where}: JSON Schema keyword "${k}" is not checked by shared/param-check.ts; add it there`);
  }
  for (const [k, v] of Object.entries((s.properties as Record<string, unknown> | undefined) ?? {})) assertKnown(v, `${where}.${k}`);
  if (s.items) assertKnown(s.items, `${where}[]`);
  for (const v of (s.anyOf as unknown[] | undefined) ?? []) assertKnown(v, `${where} (anyOf)`);
}

export function protocolChecksText(): string {
  const schemas = protocolParamSchemas();
  return [
    '// Generated from shared/protocol-params.ts by `npm run schema` (config/protocol-checks-text.ts). Do not edit.',
    "import type { ParamSchema } from './param-check.js';",
    '',
    `export const METHOD_NAMES = ${JSON.stringify(Object.keys(schemas))} as const;`,
    '',
    `export const PARAM_SCHEMAS: Record<(typeof METHOD_NAMES)[number], ParamSchema> = ${JSON.stringify(schemas, null, 2)};`,
    '',
  ].join('\n');
}
