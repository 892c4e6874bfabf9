import { Box, Text } from 'ink';
import { KEYS } from '../keys.js';

export function Help({ width, height }: { width: number; height: number }) {
  return (
    <Box flexDirection="column" width={width} height={height} borderStyle="round" borderColor="cyan" paddingX={1}>
      <Text bold color="cyan">jobctl tui — keys</Text>
      {KEYS.map((k) => (
        <Text key={k.key} wrap="truncate"><Text bold>{k.key.padEnd(12)}</Text>{k.action}</Text>
      ))}
      <Text color="gray">Esc or ? closes this help.</Text>
    </Box>
  );
}
