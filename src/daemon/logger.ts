import { EventEmitter } from 'node:events';
import type { DaemonEvent } from '../shared/protocol.js';
import { DaemonOutput, type LineOutput } from './stdio.js';

/**
 * The daemon's own log: one line per event to a stream (stderr: the journal under
 * systemd, state/daemon.log under `jobctl up`), a ring of recent events for `top`, and
 * an 'event' for subscribers.
 */
export class DaemonLog extends EventEmitter {
  private readonly recent: DaemonEvent[] = [];

  /** `out` must not throw (DaemonOutput does not); a throw is absorbed all the same. */
  constructor(private readonly out: LineOutput = new DaemonOutput(process.stderr), private readonly keep = 200) {
    super();
  }

  info(message: string, task?: string): void {
    this.write('info', message, task);
  }

  warn(message: string, task?: string): void {
    this.write('warn', message, task);
  }

  error(message: string, task?: string): void {
    this.write('error', message, task);
  }

  private write(level: DaemonEvent['level'], message: string, task?: string): void {
    const ev: DaemonEvent = { at: Date.now(), level, message, ...(task !== undefined ? { task } : {}) };
    this.recent.push(ev);
    if (this.recent.length > this.keep) this.recent.shift();
    try {
      this.out.write(`${new Date(ev.at).toISOString()} ${level.padEnd(5)} ${task ? `[${task}] ` : ''}${message}\n`);
    } catch {
      /* a failing output must not stop the daemon */
    }
    this.emit('event', ev);
  }

  events(): DaemonEvent[] {
    return [...this.recent];
  }

  /** Recent warnings and errors, newest last. */
  warnings(limit = 10): string[] {
    return this.recent.filter((e) => e.level !== 'info').slice(-limit).map((e) => `${new Date(e.at).toISOString()} ${e.task ? `[${e.task}] ` : ''}${e.message}`);
  }
}
