import { useEffect, useReducer } from 'react';
import type { EventView, HostView, Snapshot, StreamMessage, WebTask } from '../../src/web/wire.js';

export interface ViewState {
  ready: boolean;
  /** The stream to the server is open (false while the browser reconnects). */
  live: boolean;
  mode: Snapshot['mode'];
  title: string;
  readOnly: boolean;
  hosts: HostView[];
  tasks: Map<string, WebTask>;
  events: EventView[];
  /** Server clock minus page clock. */
  skew: number;
}

const INITIAL: ViewState = { ready: false, live: false, mode: 'single', title: '', readOnly: true, hosts: [], tasks: new Map(), events: [], skew: 0 };
const KEEP_EVENTS = 300;

type Action = StreamMessage | { type: 'live'; data: boolean };

function reduce(s: ViewState, m: Action): ViewState {
  switch (m.type) {
    case 'snapshot': {
      const d = m.data;
      return { ready: true, live: true, mode: d.mode, title: d.title, readOnly: d.readOnly, hosts: d.hosts, tasks: new Map(d.tasks.map((t) => [t.key, t])), events: d.events, skew: d.now - Date.now() };
    }
    case 'tasks': {
      const tasks = new Map(s.tasks);
      for (const k of m.data.removed) tasks.delete(k);
      for (const t of m.data.tasks) tasks.set(t.key, t);
      return { ...s, tasks };
    }
    case 'hosts':
      return { ...s, hosts: m.data };
    case 'event': {
      const events = [...s.events, m.data];
      return { ...s, events: events.length > KEEP_EVENTS ? events.slice(-KEEP_EVENTS) : events };
    }
    case 'live':
      return s.live === m.data ? s : { ...s, live: m.data };
  }
}

/** The server's view, kept live by one server-sent-events stream (the browser reconnects by itself). */
export function useView(): ViewState {
  const [state, dispatch] = useReducer(reduce, INITIAL);
  useEffect(() => {
    const es = new EventSource('/api/stream');
    for (const type of ['snapshot', 'tasks', 'hosts', 'event'] as const) {
      es.addEventListener(type, (e) => dispatch({ type, data: JSON.parse((e as MessageEvent<string>).data) } as StreamMessage));
    }
    es.onerror = () => dispatch({ type: 'live', data: false });
    es.onopen = () => dispatch({ type: 'live', data: true });
    return () => es.close();
  }, []);
  return state;
}
