/**
 * Coded faults, as supervisord's `BAD_NAME` / `ALREADY_STARTED`. Every error that
 * crosses a boundary (socket, CLI exit) is a JobctlError with one of these codes.
 */
export const ERROR_CODES = [
  'BAD_REQUEST',
  'UNKNOWN_METHOD',
  'NOT_FOUND',
  'INVALID_CONFIG',
  'ALREADY_RUNNING',
  'NOT_RUNNING',
  'WRONG_KIND',
  /** A target form the method does not take (`@group` where one task is meant…). */
  'BAD_TARGET',
  /** The task is disabled (`enabled: false`): it cannot be started. */
  'DISABLED',
  /** A later command (start after stop…) took over before this one could finish. */
  'SUPERSEDED',
  'ILLEGAL_TRANSITION',
  'SPAWN_FAILED',
  'PERMISSION_DENIED',
  /** The connection's operator lacks the right (docs/access.md): "alice may not stop billing-sync (operator of @reports)". */
  'FORBIDDEN',
  'DAEMON_UNREACHABLE',
  'DAEMON_RUNNING',
  'SHUTTING_DOWN',
  'TIMEOUT',
  'IO_ERROR',
  'INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export class JobctlError extends Error {
  override readonly name = 'JobctlError';
  readonly code: ErrorCode;
  readonly data?: unknown;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; data?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    if (options.data !== undefined) this.data = options.data;
  }
}

export function isJobctlError(e: unknown): e is JobctlError {
  return e instanceof JobctlError;
}

/** The message of anything thrown, for logs and replies. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
