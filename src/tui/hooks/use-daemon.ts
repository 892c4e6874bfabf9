import { useEffect, useRef, useState } from 'react';
import type { DaemonInfo, StatusResult, TaskStatus } from '../../shared/protocol.js';
import { taskKey, type ConnectionState, type TuiBackend } from '../backend.js';

export interface DaemonView {
  connection: ConnectionState;
  daemon?: DaemonInfo;
  /** Sorted by host (fleet), group, then name. */
  tasks: TaskStatus[];
}

const byGroupThenName = (a: TaskStatus, b: TaskStatus) =>
  (a.host ?? '').localeCompare(b.host ?? '') || a.group.localeCompare(b.group) || a.name.localeCompare(b.name);

/**
 * Live task states from the backend. Pushes are gathered and rendered at most once per
 * `flushMs`, so 500 tasks changing at once cost one render, not 500.
 */
export function useDaemon(backend: TuiBackend, flushMs = 100): DaemonView {
  const [view, setView] = useState<DaemonView>({ connection: backend.connection, tasks: [] });
  const tasks = useRef(new Map<string, TaskStatus>());
  const daemon = useRef<DaemonInfo | undefined>(undefined);
  const connection = useRef<ConnectionState>(backend.connection);
  const timer = useRef<NodeJS.Timeout | undefined>(undefined);

  useEffect(() => {
    const flush = () => {
      timer.current = undefined;
      setView({
        connection: connection.current,
        ...(daemon.current ? { daemon: daemon.current } : {}),
        tasks: [...tasks.current.values()].sort(byGroupThenName),
      });
    };
    const soon = () => {
      timer.current ??= setTimeout(flush, flushMs);
    };
    const onSnapshot = (s: StatusResult) => {
      tasks.current = new Map(s.tasks.map((t) => [taskKey(t), t]));
      daemon.current = s.daemon;
      soon();
    };
    const onTask = (t: TaskStatus) => {
      tasks.current.set(taskKey(t), t);
      soon();
    };
    const onRemoved = (key: string) => {
      tasks.current.delete(key);
      soon();
    };
    const onDaemon = (d: DaemonInfo) => {
      daemon.current = d;
      soon();
    };
    const onConnection = (c: ConnectionState) => {
      connection.current = c;
      soon();
    };
    backend.on('snapshot', onSnapshot);
    backend.on('task', onTask);
    backend.on('removed', onRemoved);
    backend.on('daemon', onDaemon);
    backend.on('connection', onConnection);
    return () => {
      if (timer.current) clearTimeout(timer.current);
      backend.off('snapshot', onSnapshot);
      backend.off('task', onTask);
      backend.off('removed', onRemoved);
      backend.off('daemon', onDaemon);
      backend.off('connection', onConnection);
    };
  }, [backend, flushMs]);
  return view;
}
