import { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';
import type { LogSpec } from '../shared/types.js';
import { LineStamper, linePrefix, stamp, type StreamTag } from './line-stamper.js';
import { LogFile } from './log-file.js';
import { TailRing } from './tail-ring.js';

export interface LogSinkOptions {
  path: string;
  logs: LogSpec;
  onError?: (e: NodeJS.ErrnoException) => void;
  now?: () => number;
}

/**
 * Where one instance's (or one run's) output goes: a rotating file, a bounded ring of
 * recent output, and a 'data' event for followers. Outlives the processes attached to it,
 * so an instance's log continues across restarts.
 */
export class LogSink extends EventEmitter {
  readonly file: LogFile;
  readonly tail = new TailRing();
  private readonly now: () => number;

  constructor(private opts: LogSinkOptions) {
    super();
    this.now = opts.now ?? Date.now;
    this.file = new LogFile({
      path: opts.path, maxSize: opts.logs.maxSize, keep: opts.logs.keep,
      ...(opts.onError ? { onError: opts.onError } : {}),
    });
  }

  /** New log settings: rotation limits at once, timestamps from the next process attached. */
  setLogs(logs: LogSinkOptions['logs']): void {
    this.opts = { ...this.opts, logs };
    this.file.setLimits(logs.maxSize, logs.keep);
  }

  get path(): string {
    return this.opts.path;
  }

  private emitOut(buf: Buffer): boolean {
    this.tail.push(buf);
    if (this.listenerCount('data') > 0) this.emit('data', buf);
    return this.file.write(buf);
  }

  /** A line of jobctl's own ("started pid 42", "exited with code 1"); only with timestamps on. */
  note(text: string): void {
    if (!this.opts.logs.timestamps) return;
    this.emitOut(stamp(Buffer.from(`${text}\n`), linePrefix('jobctl', this.now())));
  }

  /** Stream a process's stdout and stderr in; resolves when both have ended. */
  attach(streams: { stdout: Readable; stderr: Readable }): Promise<void> {
    const sources: Array<[Readable, StreamTag]> = [[streams.stdout, 'out'], [streams.stderr, 'err']];
    const paused = new Set<Readable>();
    const onDrain = () => {
      for (const s of paused) s.resume();
      paused.clear();
    };
    this.file.on('drain', onDrain);
    const ends = sources.map(([stream, tag]) => new Promise<void>((resolve) => {
      const stamper = this.opts.logs.timestamps ? new LineStamper(tag, this.now) : null;
      const pauseAll = () => {
        for (const [s] of sources) {
          if (!s.isPaused()) {
            s.pause();
            paused.add(s);
          }
        }
      };
      stream.on('data', (chunk: Buffer) => {
        const out = stamper ? stamper.push(chunk) : chunk;
        if (out && !this.emitOut(out)) pauseAll();
      });
      const finish = () => {
        const rest = stamper?.flush();
        if (rest) this.emitOut(rest);
        resolve();
      };
      stream.once('end', finish);
      stream.once('close', finish);
      stream.once('error', finish);
    }));
    return Promise.all(ends).then(() => {
      this.file.off('drain', onDrain);
    });
  }

  /** Flush and close the file. Safe to call twice. */
  close(): Promise<void> {
    return this.file.close();
  }
}
