import { useEffect, useRef, useState } from 'react';
import { tagInstance } from '../../shared/log-line.js';
import type { LogTarget, TuiBackend } from '../backend.js';

export interface LogFollow {
  lines: string[];
  status: 'idle' | 'loading' | 'following' | 'ended' | 'error';
  error?: string;
  /** Lines received for this log since it was opened (kept or not): a view scrolled back holds its place by it. */
  total: number;
}

/**
 * The log of one task (an instance, or a run) followed live. At most `maxLines` are kept
 * and the view is refreshed at most once per `flushMs`, so a task printing 10,000 lines a
 * second cannot flood the terminal.
 */
export function useLogFollow(backend: TuiBackend, target: LogTarget | undefined, connected: boolean, maxLines = 1000, flushMs = 100): LogFollow {
  const [state, setState] = useState<LogFollow>({ lines: [], status: 'idle', total: 0 });
  const key = target ? `${target.task}|${target.instance ?? ''}|${target.run ?? ''}` : '';
  const buf = useRef<string[]>([]);
  const total = useRef(0);
  /** The unfinished last line of each instance's stream. */
  const partial = useRef(new Map<number | undefined, string>());
  const timer = useRef<NodeJS.Timeout | undefined>(undefined);

  useEffect(() => {
    if (!target || !connected) {
      setState({ lines: [], status: 'idle', total: 0 });
      return;
    }
    let sub: number | undefined;
    let cancelled = false;
    buf.current = [];
    total.current = 0;
    partial.current = new Map();
    setState({ lines: [], status: 'loading', total: 0 });
    const flush = (status: LogFollow['status'] = 'following') => {
      timer.current = undefined;
      if (!cancelled) setState({ lines: buf.current.slice(), status, total: total.current });
    };
    const push = (text: string, instance?: number) => {
      const parts = ((partial.current.get(instance) ?? '') + text).split('\n');
      partial.current.set(instance, parts.pop() ?? '');
      total.current += parts.length;
      // Several instances followed at once: each line says which one wrote it.
      buf.current.push(...(instance === undefined ? parts : parts.map((l) => tagInstance(l, instance))));
      if (buf.current.length > maxLines) buf.current.splice(0, buf.current.length - maxLines);
      timer.current ??= setTimeout(() => flush(), flushMs);
    };
    const onLog = (m: { subscription: number; text: string; instance?: number }) => {
      if (m.subscription === sub) push(m.text, m.instance);
    };
    const onEnd = (s: number) => {
      if (s === sub) flush('ended');
    };
    backend.on('log', onLog);
    backend.on('log-end', onEnd);
    backend.follow(target, Math.min(200, maxLines)).then((r) => {
      if (cancelled) {
        if (r.subscription !== undefined) backend.unfollow(r.subscription);
        return;
      }
      sub = r.subscription;
      buf.current = [...r.lines, ...buf.current].slice(-maxLines);
      total.current += r.lines.length;
      flush();
    }, (e: Error) => !cancelled && setState({ lines: [], status: 'error', error: e.message, total: 0 }));
    return () => {
      cancelled = true;
      if (timer.current) clearTimeout(timer.current);
      timer.current = undefined;
      backend.off('log', onLog);
      backend.off('log-end', onEnd);
      if (sub !== undefined) backend.unfollow(sub);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [backend, key, connected, maxLines, flushMs]);
  return state;
}
