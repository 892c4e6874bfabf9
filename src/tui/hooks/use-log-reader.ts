import type { Key } from 'ink';
import { useCallback, useRef, useState } from 'react';
import { edited } from '../keys.js';
import { findLine } from '../log-layout.js';

export interface LogSearch {
  text: string;
  /** The `/` prompt is open. */
  editing: boolean;
  /** The last search found nothing (in that direction). */
  notFound?: boolean;
}

export interface LogReader {
  scroll: number;
  wrap: boolean;
  hOffset: number;
  search: LogSearch;
  /** The search prompt is open: keys are text (read before the next render). */
  readonly typing: { readonly current: boolean };
  scrollBy(delta: number, length: number): void;
  /** `added` lines came at the end: a view scrolled back keeps showing the same lines (one that follows moves on). */
  hold(added: number, length: number): void;
  /** Back to the end, following. */
  follow(): void;
  toggleWrap(): void;
  /** ← → while lines are cut (no-op while they wrap). */
  sideways(delta: number): void;
  openSearch(): void;
  /** A key typed at the `/` prompt. */
  editSearch(input: string, key: Key): void;
  /** Enter: find the newest match at or above the view's last line; Esc: drop the search. */
  closeSearch(confirm: boolean, lines: readonly string[]): void;
  /** n (-1: older) / N (+1: newer). */
  nextMatch(dir: 1 | -1, lines: readonly string[]): void;
}

const NO_SEARCH: LogSearch = { text: '', editing: false };

/**
 * How the user reads a log, as in `less`: scrolled back (lines from the end; 0 follows),
 * wrapped or cut and scrolled sideways, and a search (`/`, `n`, `N`) that scrolls so the
 * match is the view's last line.
 */
export function useLogReader(): LogReader {
  const [scroll, setScroll] = useState(0);
  const [wrap, setWrap] = useState(true);
  const [hOffset, setHOffset] = useState(0);
  const [search, setSearchState] = useState<LogSearch>(NO_SEARCH);
  const scrollRef = useRef(0);
  const wrapRef = useRef(true);
  const searchRef = useRef<LogSearch>(NO_SEARCH);
  const typing = useRef(false);
  const setScrollTo = useCallback((n: number) => {
    scrollRef.current = n;
    setScroll(n);
  }, []);
  const setSearch = useCallback((s: LogSearch) => {
    searchRef.current = s;
    typing.current = s.editing;
    setSearchState(s);
  }, []);
  const goTo = (dir: 1 | -1, lines: readonly string[], inclusive: boolean) => {
    const s = searchRef.current;
    const bottom = lines.length - 1 - scrollRef.current;
    const at = findLine(lines, s.text, bottom, dir, inclusive);
    if (at === undefined) return setSearch({ ...s, editing: false, notFound: true });
    setSearch({ ...s, editing: false, notFound: false });
    setScrollTo(lines.length - 1 - at);
  };
  return {
    scroll, wrap, hOffset, search, typing,
    scrollBy: (delta, length) => setScrollTo(Math.min(Math.max(0, length - 1), Math.max(0, scrollRef.current + delta))),
    hold: (added, length) => {
      if (scrollRef.current > 0 && added > 0) setScrollTo(Math.min(Math.max(0, length - 1), scrollRef.current + added));
    },
    follow: () => setScrollTo(0),
    toggleWrap: () => {
      wrapRef.current = !wrapRef.current;
      setWrap(wrapRef.current);
      setHOffset(0);
    },
    sideways: (delta) => {
      if (!wrapRef.current) setHOffset((h) => Math.max(0, h + delta));
    },
    openSearch: () => setSearch({ text: '', editing: true }),
    editSearch: (input, key) => {
      const text = edited(searchRef.current.text, input, key);
      if (text !== undefined) setSearch({ ...searchRef.current, text });
    },
    closeSearch: (confirm, lines) => {
      if (!confirm || !searchRef.current.text) return setSearch(NO_SEARCH);
      goTo(-1, lines, true);
    },
    nextMatch: (dir, lines) => goTo(dir, lines, false),
  };
}
