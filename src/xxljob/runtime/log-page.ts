import fs from 'node:fs';
import readline from 'node:readline';

export interface LogPage {
  /** Number of the last line returned (lines count from 1); `from - 1` when none. */
  toLineNum: number;
  /** The lines, each ending in a newline. */
  content: string;
  /** The page reaches the end of the file. */
  complete: boolean;
}

/**
 * Lines `from`.. of a log file, streamed (never read whole), at most `maxLines` lines and
 * about `maxBytes` characters; the admin asks again from `toLineNum + 1`. Undefined when the
 * file does not exist.
 */
export async function readLogPage(file: string, from: number, maxLines = 1000, maxBytes = 512 * 1024): Promise<LogPage | undefined> {
  let stream: fs.ReadStream;
  try {
    await fs.promises.access(file, fs.constants.R_OK);
    stream = fs.createReadStream(file, { encoding: 'utf8' });
  } catch {
    return undefined;
  }
  const rl = readline.createInterface({ input: stream, crlfDelay: Infinity });
  let n = 0;
  let taken = 0;
  let bytes = 0;
  let content = '';
  let complete = true;
  try {
    for await (const line of rl) {
      n++;
      if (n < from) continue;
      if (taken >= maxLines || bytes >= maxBytes) {
        complete = false;
        break;
      }
      content += `${line}\n`;
      bytes += line.length + 1;
      taken++;
    }
  } finally {
    rl.close();
    stream.destroy();
  }
  return { toLineNum: taken ? from + taken - 1 : Math.max(0, Math.min(n, from - 1)), content, complete };
}
