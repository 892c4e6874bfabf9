import type { RunRecord } from '../../shared/types.js';
import type { XxlRunTag } from './trigger.js';
import { FAIL_CODE, SUCCESS_CODE, TIMEOUT_CODE, type CallbackItem } from './wire.js';

/** The admin's view of a finished run: 200 success, 502 timeout, 500 anything else. */
export function handleCodeOf(record: Pick<RunRecord, 'state'>): number {
  if (record.state === 'succeeded') return SUCCESS_CODE;
  if (record.state === 'timed-out') return TIMEOUT_CODE;
  return FAIL_CODE;
}

/** Longest handleMsg sent (the admin stores it in a TEXT column and shows it in a table). */
export const MAX_HANDLE_MSG = 4000;

/**
 * The callback item of a finished run: the outcome in one line, then the last lines of its
 * output, cut to MAX_HANDLE_MSG characters from the end.
 */
export function callbackFor(record: RunRecord, tag: Pick<XxlRunTag, 'logId' | 'logDateTime'>, tail: readonly string[]): CallbackItem {
  const exit = record.exitCode !== undefined && record.exitCode !== null ? `, exit ${record.exitCode}` : record.signal ? `, ${record.signal}` : '';
  const head = `jobctl run ${record.id} on task ${record.task}: ${record.state}${exit}${record.message ? ` (${record.message})` : ''}`;
  let msg = tail.length ? `${head}\n${tail.join('\n')}` : head;
  if (msg.length > MAX_HANDLE_MSG) msg = `${head}\n…${msg.slice(msg.length - (MAX_HANDLE_MSG - head.length - 2))}`;
  return { logId: tag.logId, logDateTim: tag.logDateTime, handleCode: handleCodeOf(record), handleMsg: msg };
}

/** Delay before callback attempt `attempt` (1 = first retry): doubling from `baseMs`, at most `maxMs`. */
export function callbackRetryDelay(attempt: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, Math.min(attempt - 1, 20)));
}
