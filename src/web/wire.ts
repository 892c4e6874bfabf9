/**
 * What the web server and its page say to each other (types only; the page imports them).
 * The page gets one stream of server-sent events (`GET /api/stream`): a `snapshot` first,
 * then `tasks`, `hosts` and `event` as they happen (push, never a poll per task).
 */
import type { TaskStatus } from '../shared/protocol.js';
import type { RunRecord } from '../shared/types.js';
import type { Identity } from './rights.js';

/** One host of the view: how its connection is, and what its connection may do. */
export interface HostView {
  name: string;
  /** The address it is reached at (`local`, `ssh://…`). */
  address: string;
  connection: 'connecting' | 'connected' | 'disconnected';
  /** Why it is not connected: what ssh or the socket said, or the timeout. */
  error?: string;
  operator: string;
  role: Identity['role'];
  /** Operator or admin (and the server is not read-only): the page shows actions. */
  canControl: boolean;
  labels: string[];
}

/** A daemon event or a state change seen in a status update, with its host. */
export interface EventView {
  id: number;
  at: number;
  host: string;
  level: 'info' | 'warn' | 'error';
  task?: string;
  message: string;
}

/** A task with its host, keyed `host:task` as the fleet TUI keys it. */
export type WebTask = TaskStatus & { host: string; key: string };

export interface Snapshot {
  /** `fleet`: a HOST column and a host filter; `single`: one daemon. */
  mode: 'single' | 'fleet';
  title: string;
  readOnly: boolean;
  hosts: HostView[];
  tasks: WebTask[];
  events: EventView[];
  /** The server's clock, so the page's "in 5s" and "2m ago" agree with it. */
  now: number;
}

export type StreamMessage =
  | { type: 'snapshot'; data: Snapshot }
  | { type: 'tasks'; data: { tasks: WebTask[]; removed: string[] } }
  | { type: 'hosts'; data: HostView[] }
  | { type: 'event'; data: EventView };

/** `GET /api/task?key=host:task`: one task in full. */
export interface TaskPageData {
  task: WebTask;
  /** Cron tasks: the last runs, oldest first. */
  runs: RunRecord[];
  /** The task as loaded by the daemon, as YAML (from its status and details; env values never leave the host). */
  yaml: string;
}

/** `GET /api/log?key=…[&run=ID][&instance=N]`: the last lines of one log. */
export interface LogData {
  lines: string[];
  files: string[];
  capped?: boolean;
}

/** Server-sent events of `GET /api/log/stream`: `lines` (text as written), `end` (why it ended). */
export type LogStreamMessage =
  | { type: 'lines'; data: { text: string; instance?: number; run?: string } }
  | { type: 'start'; data: LogData }
  | { type: 'end'; data: { reason: string } };

export const VERBS = ['start', 'stop', 'restart', 'rolling', 'run', 'kill'] as const;
export type Verb = (typeof VERBS)[number];

/** `POST /api/action` body. */
export interface ActionRequest {
  key: string;
  verb: Verb;
  /** kill: the signal (default SIGKILL, as the TUI's K). */
  signal?: string;
}

export interface ActionResult {
  ok: true;
  message: string;
}

export interface ApiError {
  error: { code: string; message: string };
}
