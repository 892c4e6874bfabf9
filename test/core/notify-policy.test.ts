import { describe, expect, it } from 'vitest';
import { eventSummary, flushNotices, headline, offerNotice, payload, type NoticeContent } from '../../src/core/notify-policy.js';

const notice = (over: Partial<NoticeContent> = {}): NoticeContent => ({
  task: 'mailer', host: 'web1', event: 'failure', message: 'exited with code 1', exitCode: 1, at: Date.parse('2026-01-01T00:00:00Z'), lines: ['boom'], count: 1, ...over,
});

describe('notification coalescing', () => {
  it('sends the first notice, holds the rest of the window, then sends one with the count', () => {
    let r = offerNotice({ held: 0 }, notice(), 0, 60_000);
    expect(r.action).toBe('send');
    for (let t = 1000; t <= 5000; t += 1000) {
      r = offerNotice(r.state, notice({ message: `crash ${t}` }), t, 60_000);
      expect(r).toMatchObject({ action: 'hold', flushAt: 60_000 });
    }
    const f = flushNotices(r.state, 60_000);
    expect(f.content).toMatchObject({ count: 5, message: 'crash 5000', events: { failure: 5 } });
    expect(flushNotices(f.state, 61_000).content).toBeUndefined();
    expect(offerNotice(f.state, notice(), 121_000, 60_000).action).toBe('send');
  });
});

describe('coalesced messages are labelled by their events', () => {
  it('5 failures and 1 recovery read "5 failures, 1 recovered", not "6× recovered"', () => {
    let r = offerNotice({ held: 0 }, notice(), 0, 60_000);
    for (let i = 0; i < 5; i++) r = offerNotice(r.state, notice(), 1000 + i, 60_000);
    r = offerNotice(r.state, notice({ event: 'recovered', message: 'running again', exitCode: null }), 9000, 60_000);
    const f = flushNotices(r.state, 60_000);
    expect(f.content).toMatchObject({ count: 6, event: 'recovered', events: { failure: 5, recovered: 1 } });
    expect(headline(f.content!)).toBe('[jobctl] mailer on web1: 5 failures, 1 recovered; last: recovered: running again');
    expect(headline(f.content!)).not.toMatch(/6×/);
    expect(payload('generic', f.content!)).toMatchObject({ count: 6, events: { failure: 5, recovered: 1 } });
  });

  it('labels each kind, in a fixed order, singular and plural', () => {
    expect(eventSummary({ recovered: 2, failure: 1, fatal: 1, timeout: 3 })).toBe('1 failure, 3 timeouts, 1 fatal, 2 recovered');
  });
});

describe('payloads', () => {
  it('has the shape of each chat format', () => {
    expect(payload('slack', notice())).toMatchObject({ text: '[jobctl] mailer on web1: failure (exit code 1): exited with code 1' });
    expect(payload('dingtalk', notice())).toMatchObject({ msgtype: 'text', text: { content: expect.stringContaining('last log lines:\nboom') } });
    expect(payload('feishu', notice())).toMatchObject({ msg_type: 'text', content: { text: expect.stringContaining('mailer on web1') } });
    expect(payload('wecom', notice())).toMatchObject({ msgtype: 'text', text: { content: expect.any(String) } });
    expect(payload('generic', notice({ count: 3, signal: 'SIGKILL', exitCode: null }))).toEqual({
      source: 'jobctl', task: 'mailer', host: 'web1', event: 'failure', message: 'exited with code 1', exit_code: null, signal: 'SIGKILL',
      at: '2026-01-01T00:00:00.000Z', count: 3, lines: ['boom'],
      text: '[jobctl] mailer on web1: 3 failures (signal SIGKILL): exited with code 1\n(3 events in the last minute, coalesced)\nlast log lines:\nboom',
    });
  });
});
