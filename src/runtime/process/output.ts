import type { Readable } from 'node:stream';

/** The output stage for processes whose output is read, not logged (probes). */
export interface CollectedOutput {
  /** What was kept: the first `limit` characters, or the last (`keep: 'tail'`). */
  text(): string;
  /** Resolves when the stream ended or was destroyed. */
  readonly ended: Promise<void>;
}

/** Collect a stream's text, never holding more than twice `limit` characters. */
export function collectOutput(stream: Readable, limit: number, keep: 'head' | 'tail'): CollectedOutput {
  let text = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    if (keep === 'head') {
      if (text.length < limit) text += chunk;
    } else {
      text += chunk;
      if (text.length > limit * 2) text = text.slice(text.length - limit);
    }
  });
  stream.on('error', () => undefined);
  const ended = new Promise<void>((resolve) => {
    if (stream.readableEnded || stream.destroyed) resolve();
    stream.once('end', resolve);
    stream.once('close', resolve);
  });
  return {
    text: () => (keep === 'tail' && text.length > limit ? text.slice(text.length - limit) : keep === 'head' ? text.slice(0, limit) : text),
    ended,
  };
}
