import { Text } from 'ink';

export function FilterBar({ text, editing }: { text: string; editing: boolean }) {
  if (!editing && !text) return null;
  return (
    <Text wrap="truncate">
      <Text color="cyan">/</Text>{text}{editing ? <Text inverse> </Text> : <Text color="gray">  (/ to change, Esc in filter to clear)</Text>}
    </Text>
  );
}
