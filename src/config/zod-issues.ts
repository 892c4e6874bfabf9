import type { z } from 'zod';
import { didYouMean } from '../shared/suggest.js';

/** One zod issue turned into our wording; `path` is relative to the object validated. */
export interface KeyProblem {
  path: Array<string | number>;
  /** Point at the key itself (unknown key) rather than its value. */
  atKey: boolean;
  message: string;
}

/** Keys that could stand at a path, for "did you mean" on unknown keys. */
export type KnownKeys = (path: ReadonlyArray<string | number>) => readonly string[];

export function describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a map';
  if (typeof v === 'string') return `"${v}"`;
  return `${typeof v} ${String(v)}`;
}

function keyName(path: ReadonlyArray<string | number>): string {
  return path.map(String).join('.');
}

/**
 * `notHere` words a key that exists elsewhere but not at this path (`schedule` in `defaults:`);
 * undefined falls back to "unknown key".
 */
export function zodProblems(
  error: z.ZodError,
  knownKeys: KnownKeys,
  notHere?: (path: ReadonlyArray<string | number>, key: string) => string | undefined,
): KeyProblem[] {
  const out: KeyProblem[] = [];
  for (const issue of error.issues) {
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    const key = keyName(path);
    const prefix = key ? `${key}: ` : '';
    const input = (issue as { input?: unknown }).input;
    if (input === undefined && issue.code !== 'unrecognized_keys' && path.length > 0) {
      out.push({ path, atKey: false, message: `${prefix}is required` });
      continue;
    }
    switch (issue.code) {
      case 'unrecognized_keys':
        for (const k of issue.keys) {
          if (notHere?.(path, k)) {
            out.push({ path: [...path, k], atKey: true, message: notHere(path, k)! });
            continue;
          }
          out.push({
            path: [...path, k],
            atKey: true,
            message: `unknown key "${key ? `${key}.` : ''}${k}"${didYouMean(k, knownKeys(path))}`,
          });
        }
        break;
      case 'invalid_value': {
        const values = issue.values.map(String);
        const got = describeValue(input);
        out.push({
          path,
          atKey: false,
          message: `${prefix}${got} is not one of ${values.join(', ')}${typeof input === 'string' ? didYouMean(input, values) : ''}`,
        });
        break;
      }
      case 'invalid_key': {
        const inner = issue.issues[0]?.message ?? 'invalid name';
        const parent = keyName(path.slice(0, -1));
        out.push({ path: [...path], atKey: true, message: `${parent ? `${parent}: ` : ''}invalid name "${String(input)}": ${inner}` });
        break;
      }
      case 'invalid_type':
        if (issue.expected === 'int') {
          out.push({ path, atKey: false, message: `${prefix}must be a whole number, got ${describeValue(input)}` });
          break;
        }
        out.push({
          path,
          atKey: false,
          message: input === undefined
            ? `${prefix}is required`
            : `${prefix}expected ${article(issue.expected)}, got ${describeValue(input)}`,
        });
        break;
      case 'too_small':
        out.push({
          path,
          atKey: false,
          message: `${prefix}${tooSmall(issue.origin, Number(issue.minimum))}${issue.origin === 'number' ? `, got ${describeValue(input)}` : ''}`,
        });
        break;
      case 'too_big':
        out.push({ path, atKey: false, message: `${prefix}must be at most ${String(issue.maximum)}, got ${describeValue(input)}` });
        break;
      case 'invalid_format':
        out.push({ path, atKey: false, message: `${prefix}${issue.message}, got ${describeValue(input)}` });
        break;
      default:
        out.push({ path, atKey: false, message: `${prefix}${issue.message}${input !== undefined ? `, got ${describeValue(input)}` : ''}` });
    }
  }
  return out;
}

function article(expected: string): string {
  if (expected === 'object' || expected === 'record') return 'a map';
  if (expected === 'array') return 'a list';
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

function tooSmall(origin: string, minimum: number): string {
  if (origin === 'string') return 'must not be empty';
  if (origin === 'array') return minimum === 1 ? 'must not be an empty list' : `must have at least ${minimum} items`;
  return `must be at least ${minimum}`;
}
