import type { NotifierFormat } from '../shared/types.js';

/**
 * Chat notifications, pure: which events a task wants, coalescing so that a crash loop
 * sends at most one message per task per window (with a count), and the payload of each
 * chat format.
 */

export interface NoticeContent {
  task: string;
  host: string;
  event: string;
  message: string;
  exitCode?: number | null;
  signal?: string | null;
  at: number;
  /** The last lines of the task's log. */
  lines: string[];
  /** How many notices this message stands for (1 unless coalesced). */
  count: number;
  /** A coalesced message: how many of each event it stands for (`{failure: 5, recovered: 1}`). */
  events?: Record<string, number>;
}

export interface CoalesceState {
  /** When the current window opened (a message was sent). */
  windowStart?: number;
  /** Notices held back in this window. */
  held: number;
  /** Of those, how many of each event. */
  counts?: Record<string, number>;
  latest?: NoticeContent;
}

export type CoalesceResult =
  | { action: 'send'; content: NoticeContent; state: CoalesceState }
  | { action: 'hold'; flushAt: number; state: CoalesceState };

/** A new notice for one task: send now if its window is closed, else hold it and count. */
export function offerNotice(state: CoalesceState, content: NoticeContent, now: number, windowMs: number): CoalesceResult {
  if (state.windowStart === undefined || now - state.windowStart >= windowMs) {
    return { action: 'send', content, state: { windowStart: now, held: 0 } };
  }
  const counts = { ...state.counts, [content.event]: (state.counts?.[content.event] ?? 0) + 1 };
  return { action: 'hold', flushAt: state.windowStart + windowMs, state: { windowStart: state.windowStart, held: state.held + 1, counts, latest: content } };
}

/** At the end of a window: one message for everything held, or nothing. */
export function flushNotices(state: CoalesceState, now: number): { content?: NoticeContent; state: CoalesceState } {
  if (!state.held || !state.latest) return { state: { held: 0 } };
  const content: NoticeContent = { ...state.latest, count: state.held, events: state.counts ?? { [state.latest.event]: state.held } };
  return { content, state: { windowStart: now, held: 0 } };
}

/** Events in the order a reader wants them, each with its label for one and for many. */
const EVENT_LABELS: ReadonlyArray<[string, string, string]> = [
  ['failure', 'failure', 'failures'], ['timeout', 'timeout', 'timeouts'], ['fatal', 'fatal', 'fatal'], ['recovered', 'recovered', 'recovered'],
];

/** `{failure: 5, recovered: 1}` -> "5 failures, 1 recovered". */
export function eventSummary(events: Record<string, number>): string {
  const known = EVENT_LABELS.filter(([e]) => events[e]).map(([e, one, many]) => `${events[e]} ${events[e] === 1 ? one : many}`);
  const other = Object.entries(events).filter(([e, n]) => n && !EVENT_LABELS.some(([k]) => k === e)).map(([e, n]) => `${n} ${e}`);
  return [...known, ...other].join(', ');
}

export function headline(c: NoticeContent): string {
  const exit = c.signal ? ` (signal ${c.signal})` : c.exitCode !== undefined && c.exitCode !== null ? ` (exit code ${c.exitCode})` : '';
  if (c.count <= 1) return `[jobctl] ${c.task} on ${c.host}: ${c.event}${exit}: ${c.message}`;
  const events = c.events ?? { [c.event]: c.count };
  const mixed = Object.keys(events).filter((e) => events[e]).length > 1;
  // One kind: "3 failures (exit code 1): …"; several: "5 failures, 1 recovered; last: recovered: …".
  return mixed
    ? `[jobctl] ${c.task} on ${c.host}: ${eventSummary(events)}; last: ${c.event}${exit}: ${c.message}`
    : `[jobctl] ${c.task} on ${c.host}: ${eventSummary(events)}${exit}: ${c.message}`;
}

export function plainText(c: NoticeContent): string {
  const tail = c.lines.length ? `\nlast log lines:\n${c.lines.join('\n')}` : '';
  const coalesced = c.count > 1 ? `\n(${c.count} events in the last minute, coalesced)` : '';
  return `${headline(c)}${coalesced}${tail}`;
}

/** The JSON body for a webhook of this format. */
export function payload(format: NotifierFormat, c: NoticeContent): unknown {
  const text = plainText(c);
  switch (format) {
    case 'slack':
      return { text: headline(c), blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `*${headline(c)}*${c.lines.length ? `\n\`\`\`${c.lines.join('\n')}\`\`\`` : ''}` } }] };
    case 'dingtalk':
      return { msgtype: 'text', text: { content: text } };
    case 'feishu':
      return { msg_type: 'text', content: { text } };
    case 'wecom':
      return { msgtype: 'text', text: { content: text } };
    case 'generic':
      return {
        source: 'jobctl', task: c.task, host: c.host, event: c.event, message: c.message,
        exit_code: c.exitCode ?? null, signal: c.signal ?? null, at: new Date(c.at).toISOString(), count: c.count,
        ...(c.events ? { events: c.events } : {}), lines: c.lines, text,
      };
  }
}
