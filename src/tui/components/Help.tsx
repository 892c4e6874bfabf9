import { Box, Text } from 'ink';
import { KEYS, type KeyHandlers } from '../keys.js';

/** The help's actions (its bindings in KEYS: Esc or ? closes it, q quits). */
export function helpKeys(c: { close(): void; quit(): void }): KeyHandlers {
  return { close: c.close, quit: c.quit };
}

/** Every key and what it does; its keys are helpKeys. */
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
