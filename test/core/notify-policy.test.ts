import { describe, expect, it } from 'vitest';
import { expandEnv, flushNotices, offerNotice, payload, type NoticeContent } from '../../src/core/notify-policy.js';

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
    expect(f.content).toMatchObject({ count: 5, message: 'crash 5000' });
    expect(flushNotices(f.state, 61_000).content).toBeUndefined();
    expect(offerNotice(f.state, notice(), 121_000, 60_000).action).toBe('send');
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
      text: '[jobctl] mailer on web1: 3× failure (signal SIGKILL): exited with code 1\n(3 events in the last minute, coalesced)\nlast log lines:\nboom',
    });
  });

  it('expands ${VAR} in URLs and names what is missing', () => {
    expect(expandEnv('https://hooks/${A}/x', { A: 'abc' })).toEqual({ url: 'https://hooks/abc/x', missing: [] });
    expect(expandEnv('${NOPE}', {}).missing).toEqual(['NOPE']);
  });
});
