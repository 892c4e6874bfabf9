import fs from 'node:fs';
import { z } from 'zod';
import { NAME_HINT, isValidTaskName } from '../shared/names.js';
import type { AccessRule, ConfigIssue, HostSettings, NotifierSpec } from '../shared/types.js';
import { OPERATOR_NAME_HINT, OPERATOR_NAME_RE, accessRuleProblem, accessRuleSchema, accessSchema, normalizeAccessRule } from './host/access.js';
import { lockSchema, normalizeLock } from '../fleet-lock/config/settings.js';
import { metricsSchema, normalizeMetrics } from '../metrics/config/settings.js';
import { normalizeXxlJob, xxljobSchema } from '../xxljob/config/settings.js';
import { xxlTaskChecks } from '../xxljob/config/task-checks.js';
import type { CrossFileCheck } from './cross-file-check.js';
import { normalizeNotifier, } from './normalize.js';
import { notifierSchema } from './schema.js';
import { didYouMean } from '../shared/suggest.js';
import { parseYamlFile, type YamlPath } from './yaml-file.js';
import { zodProblems } from './zod-issues.js';
import { HOST_SETTINGS_FILE, emptyHostSettings, hostSettingsPath } from './host-file.js';

export { HOST_SETTINGS_FILE, emptyHostSettings, hostSettingsPath };

/**
 * `<home>/jobctl.yaml`: settings of this host's daemon, not of a task (DESIGN.md "Host
 * settings"). The same pipeline as task files: parse (positions kept) -> strict schema per
 * section -> normalize; every problem reported as FILE:LINE:COL. A missing file is empty
 * settings, never an error.
 */


const LABEL_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const labelsSchema = z.array(
  z.string({ error: 'a label is a string' }).regex(LABEL_RE, { error: 'a label is 1-63 letters, digits, ".", "_" or "-", starting with a letter or digit' }),
  { error: 'must be a list of labels, e.g. [web, eu-west]' },
).meta({ description: 'this host\'s names for `hosts:` selectors of tasks (the hostname always counts too)' });

/** Every section: one strict schema each, owned by its feature. */
export const HOST_SECTIONS = {
  labels: labelsSchema,
  metrics: metricsSchema,
  xxljob: xxljobSchema,
  lock: lockSchema,
} as const;
export const HOST_KEYS = [...Object.keys(HOST_SECTIONS), 'notifiers', 'access'] as const;

/** The whole file, for the JSON Schema that editors use. */
export const hostFileSchema = z.strictObject({
  labels: labelsSchema.optional(),
  metrics: metricsSchema.optional(),
  xxljob: xxljobSchema.optional(),
  lock: lockSchema.optional(),
  notifiers: z.record(z.string(), notifierSchema).optional(),
  access: accessSchema.optional(),
});

export interface HostSettingsResult {
  settings: HostSettings;
  errors: ConfigIssue[];
  /** Absolute path of the file read (whether or not it exists). */
  file: string;
  exists: boolean;
}


/** Reads and validates `<home>/jobctl.yaml`. `display` is how the file is named in messages. */
export function loadHostSettings(home: string, display: string = HOST_SETTINGS_FILE): HostSettingsResult {
  const file = hostSettingsPath(home);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { settings: emptyHostSettings(), errors: [], file, exists: false };
    return { settings: emptyHostSettings(), file, exists: true, errors: [{ file: display, line: 0, col: 0, message: `cannot read: ${(e as Error).message}` }] };
  }
  return { ...parseHostSettings(text, file, display), file, exists: true };
}

/** Validates the text of a jobctl.yaml. `file` is the absolute path (for notifier sources). */
export function parseHostSettings(text: string, file: string, display: string): { settings: HostSettings; errors: ConfigIssue[] } {
  const yaml = parseYamlFile(text, display);
  const errors: ConfigIssue[] = [...yaml.syntaxErrors];
  const settings = emptyHostSettings();
  if (errors.length) return { settings, errors };
  const report = (p: YamlPath, message: string, atKey = false, key?: string) => {
    const { line, col } = yaml.locate(p, atKey ? 'key' : 'value');
    errors.push({ file: display, line, col, message, ...(key !== undefined ? { key } : {}) });
  };
  const data = yaml.data;
  if (data === null || data === undefined) return { settings, errors };
  if (typeof data !== 'object' || Array.isArray(data)) {
    report([], `${display} is a map of host settings: ${HOST_KEYS.join(', ')}`);
    return { settings, errors };
  }
  const raw = data as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    if (!(HOST_KEYS as readonly string[]).includes(key)) {
      const hint = ['tasks', 'defaults'].includes(key) ? '; tasks go in tasks/*.yaml' : didYouMean(key, HOST_KEYS);
      report([key], `unknown key "${key}"${hint}; ${display} has ${HOST_KEYS.join(', ')}`, true, key);
    }
  }

  const section = <S extends z.ZodType>(key: string, schema: S): z.infer<S> | undefined => {
    if (raw[key] === undefined || raw[key] === null) return undefined;
    const parsed = schema.safeParse(raw[key], { reportInput: true });
    if (parsed.success) return parsed.data;
    const known = (at: ReadonlyArray<string | number>) => knownKeys(schema, at);
    for (const p of zodProblems(parsed.error, known)) {
      report([key, ...p.path], `${key}: ${p.message}`, p.atKey, [key, ...p.path].map(String).join('.'));
    }
    return undefined;
  };

  const labels = section('labels', labelsSchema);
  if (labels) settings.labels = [...new Set(labels)];
  const metrics = section('metrics', metricsSchema);
  if (metrics) settings.metrics = normalizeMetrics(metrics);
  const xxljob = section('xxljob', xxljobSchema);
  if (xxljob) settings.xxljob = normalizeXxlJob(xxljob);
  const lock = section('lock', lockSchema);
  if (lock) settings.lock = normalizeLock(lock);

  if (raw.notifiers !== undefined && raw.notifiers !== null) {
    const notifiers: NotifierSpec[] = [];
    if (typeof raw.notifiers !== 'object' || Array.isArray(raw.notifiers)) report(['notifiers'], 'notifiers: expected a map of name -> {url, format}');
    else {
      for (const [name, value] of Object.entries(raw.notifiers as Record<string, unknown>)) {
        if (!isValidTaskName(name)) {
          report(['notifiers', name], `invalid notifier name "${name}": ${NAME_HINT}`, true);
          continue;
        }
        const parsed = notifierSchema.safeParse(value, { reportInput: true });
        if (!parsed.success) {
          for (const p of zodProblems(parsed.error, () => ['url', 'format'])) {
            report(['notifiers', name, ...p.path], `notifier "${name}": ${p.message}`, p.atKey);
          }
          continue;
        }
        notifiers.push(normalizeNotifier(name, parsed.data, { file, line: yaml.locate(['notifiers', name]).line }));
      }
    }
    settings.notifiers = notifiers;
  }

  if (raw.access !== undefined && raw.access !== null) {
    const access: Record<string, AccessRule> = {};
    if (typeof raw.access !== 'object' || Array.isArray(raw.access)) report(['access'], 'access: expected a map of operator -> {role, tasks}, e.g. {alice: {role: operator, tasks: ["@billing"]}}');
    else {
      for (const [name, value] of Object.entries(raw.access as Record<string, unknown>)) {
        if (!OPERATOR_NAME_RE.test(name)) {
          report(['access', name], `access: invalid operator name "${name}": ${OPERATOR_NAME_HINT}`, true);
          continue;
        }
        const parsed = accessRuleSchema.safeParse(value, { reportInput: true });
        if (!parsed.success) {
          for (const p of zodProblems(parsed.error, () => ['role', 'tasks'])) {
            report(['access', name, ...p.path], `access: operator "${name}": ${p.message}`, p.atKey);
          }
          continue;
        }
        const problem = accessRuleProblem(parsed.data);
        if (problem) {
          report(['access', name, 'tasks'], `access: operator "${name}": ${problem}`, true);
          continue;
        }
        access[name] = normalizeAccessRule(parsed.data);
      }
    }
    settings.access = access;
  }
  errors.sort((a, b) => a.line - b.line || a.col - b.col);
  return { settings, errors };
}

/** Keys a map at this path of a section accepts, for "did you mean". */
function knownKeys(schema: z.ZodType, at: ReadonlyArray<string | number>): readonly string[] {
  let s: unknown = schema;
  for (const seg of at) {
    s = unwrap(s);
    const shape = (s as { shape?: Record<string, unknown> } | undefined)?.shape;
    s = shape?.[String(seg)];
  }
  const inner = unwrap(s) as { shape?: object } | undefined;
  return inner?.shape ? Object.keys(inner.shape) : [];
}

function unwrap(schema: unknown): unknown {
  let s = schema as { unwrap?: () => unknown } | undefined;
  while (s && typeof s.unwrap === 'function') s = s.unwrap() as typeof s;
  return s;
}

/**
 * The task-directory checks the feature slices bring, run by the loader (config/load.ts):
 * this file is the config layer's one door into the slices.
 */
export const SLICE_TASK_CHECKS: readonly CrossFileCheck[] = [xxlTaskChecks];
