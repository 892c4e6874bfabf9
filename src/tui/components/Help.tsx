import { Box, Text, type Key } from 'ink';
import { KEYS } from '../keys.js';

/** The help's keys: Esc or ? closes it, q quits. */
export function helpKey(input: string, key: Key, c: { close(): void; quit(): void }): void {
  if (input === 'q') c.quit();
  else if (key.escape || input === '?') c.close();
}

/** Every key and what it does; its keys are helpKey. */
export function Help({ width, height }: { width: number; height: number }) {
  return (
    <Box flexDirection="column" width={width} height={height} borderStyle="round" borderColor="cyan" paddingX={1} overflow="hidden">
      <Text bold color="cyan" wrap="truncate">jobctl tui — keys (Esc or ? closes this help)</Text>
      {KEYS.map((k) => (
        <Text key={k.key} wrap="truncate"><Text bold>{k.key.padEnd(12)}</Text>{k.action}</Text>
      ))}
    </Box>
  );
}
