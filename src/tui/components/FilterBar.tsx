import { Text } from 'ink';

/** The task filter (`/`) and, in a fleet view, the host filter (`h`). */
export function FilterBar({ text, editing, host }: { text: string; editing: boolean; host?: string }) {
  if (!editing && !text && host === undefined) return null;
  return (
    <Text wrap="truncate">
      {host !== undefined ? <Text color="magenta">{`host ${host}  `}</Text> : null}
      {editing || text ? <><Text color="cyan">/</Text>{text}</> : null}
      {editing ? <Text inverse> </Text> : <Text color="gray">{`  (${text ? '/ to change, Esc in filter to clear' : ''}${text && host !== undefined ? '; ' : ''}${host !== undefined ? 'h: next host' : ''})`}</Text>}
    </Text>
  );
}
