import { Text } from 'ink';

export function Confirm({ question }: { question: string }) {
  return <Text backgroundColor="yellow" color="black" wrap="truncate">{` ${question} [y/N] `}</Text>;
}
