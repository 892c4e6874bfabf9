import { z } from 'zod';

/**
 * The xxl-job executor wire format (shared/xxl-job.md), and every difference between the
 * versions jobctl speaks, in this one file. Pure: no I/O.
 *
 * - 2.x (2.3/2.4, the default): the result body is `{code, msg, content}`; triggers come on `/run`.
 * - 3.x (3.3+): the result body is `{code, msg, data}`; triggers still come on `/run`.
 */

export const WIRE_VERSIONS = [2, 3] as const;
export type WireVersion = (typeof WIRE_VERSIONS)[number];

export const SUCCESS_CODE = 200;
export const FAIL_CODE = 500;
/** handleCode of a run that hit its timeout. */
export const TIMEOUT_CODE = 502;

export const TOKEN_HEADER = 'XXL-JOB-ACCESS-TOKEN';

/** Paths the executor serves, by what they do. */
export interface ExecutorPaths {
  beat: string;
  idleBeat: string;
  run: string;
  kill: string;
  log: string;
}

export interface Wire {
  version: WireVersion;
  /** The key that carries a result's payload. */
  payloadKey: 'content' | 'data';
  paths: ExecutorPaths;
  /** A ReturnT body. */
  result(code: number, msg: string | null, payload?: unknown): Record<string, unknown>;
  /** Reads a ReturnT body from the other side; undefined when it is not one. */
  parseResult(body: unknown): { code: number; msg: string | null; payload: unknown } | undefined;
}

const PATHS: ExecutorPaths = { beat: '/beat', idleBeat: '/idleBeat', run: '/run', kill: '/kill', log: '/log' };

export function wireFor(version: WireVersion): Wire {
  const payloadKey = version === 2 ? 'content' : 'data';
  return {
    version,
    payloadKey,
    paths: PATHS,
    result: (code, msg, payload) => ({ code, msg, ...(payload !== undefined ? { [payloadKey]: payload } : {}) }),
    parseResult: (body) => {
      if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
      const b = body as Record<string, unknown>;
      if (typeof b.code !== 'number') return undefined;
      return { code: b.code, msg: typeof b.msg === 'string' ? b.msg : null, payload: b[payloadKey] };
    },
  };
}

/** The messages the Java executor answers with, so the admin's UI reads the same. */
export const MESSAGES = {
  methodNotSupported: 'invalid request, HttpMethod not support.',
  uriEmpty: 'invalid request, uri-mapping empty.',
  wrongToken: 'The access token is wrong.',
  notFound: (uri: string) => `invalid request, uri-mapping(${uri}) not found.`,
  busy: 'job thread is running or has trigger queue.',
  handlerNotFound: (handler: string) => `job handler [${handler}] not found.`,
  repeatedLogId: (logId: number) => `repeate trigger job, logId:${logId}`,
  discardLater: 'block strategy effect：Discard Later',
  coverEarly: 'block strategy effect：Cover Early',
  killedByAdmin: 'scheduling center kill job.',
  alreadyKilled: 'job thread already killed.',
  logNotFound: 'readLog fail, logFile not exists',
} as const;

// ---- request bodies (lenient like Gson: unknown keys ignored, missing numbers are 0) ----

const int = z.number().int().catch(0);
const long = z.number().int().nonnegative();
const str = z.string().nullish().transform((v) => v ?? '');

export const BLOCK_STRATEGIES = ['SERIAL_EXECUTION', 'DISCARD_LATER', 'COVER_EARLY'] as const;
export type BlockStrategy = (typeof BLOCK_STRATEGIES)[number];

export const triggerParamSchema = z.object({
  jobId: z.number().int(),
  executorHandler: str,
  executorParams: str,
  executorBlockStrategy: str,
  executorTimeout: int.optional().transform((v) => v ?? 0),
  logId: long,
  logDateTime: long.optional().transform((v) => v ?? 0),
  glueType: str,
  glueSource: str,
  glueUpdatetime: z.number().optional(),
  broadcastIndex: int.optional().transform((v) => v ?? 0),
  broadcastTotal: int.optional().transform((v) => v ?? 0),
});
export type TriggerParam = z.output<typeof triggerParamSchema>;

export const jobIdParamSchema = z.object({ jobId: z.number().int() });

export const logParamSchema = z.object({
  logDateTim: z.number().optional(),
  logId: long,
  fromLineNum: z.number().int().catch(1).optional().transform((v) => Math.max(1, v ?? 1)),
});
export type LogParam = z.output<typeof logParamSchema>;

/** One page of a run's log, as `/log` returns it; lines count from 1. */
export interface LogResult {
  fromLineNum: number;
  toLineNum: number;
  logContent: string;
  isEnd: boolean;
}

/** One item of the admin's `/api/callback` array. */
export interface CallbackItem {
  logId: number;
  logDateTim: number;
  handleCode: number;
  handleMsg: string;
}

/** `/api/registry` and `/api/registryRemove`. */
export interface RegistryParam {
  registryGroup: 'EXECUTOR';
  registryKey: string;
  registryValue: string;
}

/** The first problem of a body that failed its schema, in one line. */
export function describeBodyError(error: z.ZodError): string {
  const i = error.issues[0];
  if (!i) return 'invalid request body';
  const at = i.path.length ? `${i.path.join('.')}: ` : '';
  return `invalid request body: ${at}${i.message}`;
}
