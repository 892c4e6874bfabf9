import { useEffect, useRef, useState } from 'react';
import type { LogStreamMessage } from '../../src/web/wire.js';
import { fetchLog, logStreamUrl } from './api.js';
import { appendKept, splitChunk } from './log-lines.js';

/** A finished log: a run's, an instance's. */
export function StaticLog({ taskKey, run, instance }: { taskKey: string; run?: string; instance?: number }) {
  const [state, setState] = useState<{ lines: string[]; error?: string; loading: boolean }>({ lines: [], loading: true });
  useEffect(() => {
    let live = true;
    setState({ lines: [], loading: true });
    fetchLog(taskKey, { ...(run ? { run } : {}), ...(instance !== undefined ? { instance } : {}) }).then(
      (r) => live && setState({ lines: r.lines, loading: false }),
      (e: Error) => live && setState({ lines: [], error: e.message, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [taskKey, run, instance]);
  if (state.error) return <p className="error">{state.error}</p>;
  return <pre className="log" data-log={run ?? 'task'}>{state.loading ? 'loading…' : state.lines.length ? state.lines.join('\n') : '(empty)'}</pre>;
}

/**
 * The live log: the last lines, then each line as the task writes it, pushed by the server
 * (server-sent events). Paused, new lines wait and are counted; resumed, they show.
 */
export function LiveLog({ taskKey, paused, instance }: { taskKey: string; paused: boolean; instance?: number }) {
  const [lines, setLines] = useState<string[]>([]);
  const [status, setStatus] = useState('connecting…');
  const waiting = useRef<string[]>([]);
  const heldCount = useRef(0);
  const [held, setHeld] = useState(0);
  const carry = useRef('');
  const pausedRef = useRef(paused);
  const pre = useRef<HTMLPreElement>(null);

  const push = (more: string[]) => {
    if (more.length === 0) return;
    if (pausedRef.current) {
      // Held lines are bounded as shown ones are (the newest); the count says how many came.
      waiting.current = appendKept(waiting.current, more);
      heldCount.current += more.length;
      setHeld(heldCount.current);
      return;
    }
    setLines((ls) => appendKept(ls, more));
  };

  useEffect(() => {
    pausedRef.current = paused;
    if (!paused && waiting.current.length) {
      const more = waiting.current;
      waiting.current = [];
      heldCount.current = 0;
      setHeld(0);
      push(more);
    }
  }, [paused]);

  useEffect(() => {
    setLines([]);
    carry.current = '';
    const es = new EventSource(logStreamUrl(taskKey, instance !== undefined ? { instance } : {}));
    const on = (type: LogStreamMessage['type'], fn: (data: never) => void) => es.addEventListener(type, (e) => fn(JSON.parse((e as MessageEvent<string>).data) as never));
    on('start', (d: { lines: string[] }) => {
      setStatus('following');
      setLines(d.lines);
    });
    on('lines', (d: { text: string; instance?: number }) => {
      const { lines: parts, carry: rest } = splitChunk(carry.current, d.text);
      carry.current = rest;
      push(d.instance !== undefined ? parts.map((l) => `[#${d.instance}] ${l}`) : parts);
    });
    on('end', (d: { reason: string }) => {
      setStatus(`ended: ${d.reason}`);
      es.close();
    });
    es.onerror = () => setStatus(es.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting…');
    return () => es.close();
  }, [taskKey, instance]);

  useEffect(() => {
    if (!paused && pre.current) pre.current.scrollTop = pre.current.scrollHeight;
  }, [lines, paused]);

  return (
    <div className="live-log">
      <div className="log-status" data-status={status}>{paused ? `paused${held ? ` — ${held} new line${held === 1 ? '' : 's'} waiting` : ''}` : status}</div>
      <pre className="log" ref={pre} data-log="live">{lines.join('\n')}</pre>
    </div>
  );
}
