import type { Key } from 'ink';
import type { LogReader } from '../hooks/use-log-reader.js';
import { dispatch, type KeyScope } from '../keys.js';
import { LogView } from './LogView.js';

/** What the log view's keys act on; read when a key comes (it may come before the next render). */
export interface LogScreenKeys {
  reader: LogReader;
  lines(): readonly string[];
  /** Rows of the view (a page). */
  height(): number;
  width(): number;
  /** `[` (-1) / `]` (+1): an earlier / later run, or the previous / next instance. */
  cycle(dir: 1 | -1): void;
  /** Esc or l: back to the list. */
  close(): void;
  quit(): void;
}

/**
 * The full-screen log's keys, read as in `less` (its bindings in KEYS): ↑↓ jk a line, PgUp/PgDn
 * a page, G/End the end, `w` wraps or cuts (then ← → scroll sideways), `/` searches, `n`/`N` the
 * older/newer match, `[` `]` runs or instances, Esc or `l` back, `q` quits. At the `/` prompt keys are text.
 */
export function logScreenKey(input: string, key: Key, c: LogScreenKeys, onAction?: (scope: KeyScope, action: string) => void): void {
  const { reader } = c;
  const lines = c.lines();
  if (reader.typing.current) {
    if (key.escape) reader.closeSearch(false, lines);
    else if (key.return) reader.closeSearch(true, lines);
    else reader.editSearch(input, key);
    return;
  }
  const page = Math.max(1, c.height() - 2);
  const half = Math.max(1, Math.floor(c.width() / 2));
  dispatch('log', input, key, {
    quit: () => c.quit(),
    close: () => c.close(),
    search: () => reader.openSearch(),
    olderMatch: () => reader.nextMatch(-1, lines),
    newerMatch: () => reader.nextMatch(1, lines),
    wrap: () => reader.toggleWrap(),
    earlier: () => c.cycle(-1),
    later: () => c.cycle(1),
    pageBack: () => reader.scrollBy(page, lines.length),
    pageForward: () => reader.scrollBy(-page, lines.length),
    lineBack: () => reader.scrollBy(1, lines.length),
    lineForward: () => reader.scrollBy(-1, lines.length),
    follow: () => reader.follow(),
    left: () => reader.sideways(-half),
    right: () => reader.sideways(half),
  }, onAction);
}

/** The log full screen (`l`); its keys are logScreenKey. */
export function LogScreen({ lines, height, width, title, reader }: { lines: string[]; height: number; width: number; title: string; reader: LogReader }) {
  return (
    <LogView lines={lines} height={height} width={width} scroll={reader.scroll} title={title} wrap={reader.wrap} hOffset={reader.hOffset} search={reader.search} />
  );
}
