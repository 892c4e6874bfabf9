import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import type { LogSearch } from '../hooks/use-log-reader.js';
import { logRows, matchRanges } from '../log-layout.js';

export interface LogViewProps {
  lines: string[];
  height: number;
  width: number;
  /** Lines scrolled back from the end (0 follows). */
  scroll: number;
  title: string;
  /** Long lines wrap; otherwise they are cut and shown from column `hOffset`. @default true */
  wrap?: boolean;
  hOffset?: number;
  search?: LogSearch;
}

/** A row with the search's matches shown inverse. */
function Row({ text, pattern, current }: { text: string; pattern: string; current: boolean }) {
  const ranges = matchRanges(text, pattern);
  if (!ranges.length) return <Text wrap="truncate">{text || ' '}</Text>;
  const parts: ReactNode[] = [];
  let at = 0;
  ranges.forEach(([s, e], i) => {
    parts.push(<Text key={`t${i}`}>{text.slice(at, s)}</Text>);
    parts.push(<Text key={`m${i}`} inverse {...(current ? { color: 'yellow' } : {})}>{text.slice(s, e)}</Text>);
    at = e;
  });
  parts.push(<Text key="end">{text.slice(at)}</Text>);
  return <Text wrap="truncate">{parts}</Text>;
}

function titleNote(scroll: number, wrap: boolean, hOffset: number, search: LogSearch | undefined): string {
  const notes: string[] = [];
  if (search?.notFound) notes.push(`"${search.text}" not found`);
  else if (search?.text && !search.editing) notes.push(`/${search.text}: n older, N newer`);
  if (scroll > 0) notes.push(`scrolled back ${scroll} lines; PgDn to follow`);
  if (!wrap) notes.push(hOffset > 0 ? `from column ${hOffset + 1}; ← →, w wraps` : 'cut; ← → scroll, w wraps');
  return notes.length ? `  (${notes.join(' · ')})` : '';
}

/**
 * The log, bottom-aligned, `scroll` lines back from the end. Only visible lines are
 * rendered; long ones wrap (or are cut and scroll sideways). With a search, matches are
 * inverse and the line found is the last one shown.
 */
export function LogView({ lines, height, width, scroll, title, wrap = true, hOffset = 0, search }: LogViewProps) {
  const prompt = search?.editing ? 1 : 0;
  const body = Math.max(1, height - 1 - prompt);
  const rows = logRows(lines, { body, width, scroll, wrap, hOffset });
  const found = search && search.text && !search.editing && !search.notFound ? lines.length - 1 - scroll : -1;
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      <Text color="cyan" wrap="truncate">{title}{titleNote(scroll, wrap, hOffset, search)}</Text>
      {rows.map((r, i) => (
        <Row key={i} text={r.text} pattern={search?.editing ? '' : search?.text ?? ''} current={r.line === found} />
      ))}
      {prompt ? <Box flexGrow={1} /> : null}
      {prompt ? <Text wrap="truncate"><Text color="cyan">/</Text>{search!.text}<Text inverse> </Text><Text color="gray">  (Enter finds the newest match, Esc cancels)</Text></Text> : null}
    </Box>
  );
}
