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
}

export interface CoalesceState {
  /** When the current window opened (a message was sent). */
  windowStart?: number;
  /** Notices held back in this window. */
  held: number;
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
  return { action: 'hold', flushAt: state.windowStart + windowMs, state: { windowStart: state.windowStart, held: state.held + 1, latest: content } };
}

/** At the end of a window: one message for everything held, or nothing. */
export function flushNotices(state: CoalesceState, now: number): { content?: NoticeContent; state: CoalesceState } {
  if (!state.held || !state.latest) return { state: { held: 0 } };
  const content = { ...state.latest, count: state.held };
  return { content, state: { windowStart: now, held: 0 } };
}

export function headline(c: NoticeContent): string {
  const what = c.count > 1 ? `${c.count}× ${c.event}` : c.event;
  const exit = c.signal ? ` (signal ${c.signal})` : c.exitCode !== undefined && c.exitCode !== null ? ` (exit code ${c.exitCode})` : '';
  return `[jobctl] ${c.task} on ${c.host}: ${what}${exit}: ${c.message}`;
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
        exit_code: c.exitCode ?? null, signal: c.signal ?? null, at: new Date(c.at).toISOString(), count: c.count, lines: c.lines, text,
      };
  }
}

/** `${VAR}` in a URL from the environment; undefined names are reported. */
export function expandEnv(url: string, env: Record<string, string | undefined>): { url: string; missing: string[] } {
  const missing: string[] = [];
  const out = url.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
    const v = env[name];
    if (v === undefined) missing.push(name);
    return v ?? '';
  });
  return { url: out, missing };
}
