import { Box, Text } from 'ink';
import { FOOTER } from '../keys.js';

/** The footer's keys broken into lines that fit the width: every key is always shown. */
export function footerLines(width: number): Array<Array<[string, string]>> {
  const lines: Array<Array<[string, string]>> = [[]];
  let used = 0;
  for (const item of FOOTER) {
    const len = item[0].length + item[1].length + 2;
    if (used + len > width && lines[lines.length - 1]!.length) {
      lines.push([]);
      used = 0;
    }
    lines[lines.length - 1]!.push(item);
    used += len;
  }
  return lines;
}

/** The message of the last action, then the keys. */
export function Footer({ width, message }: { width: number; message?: { text: string; error: boolean } }) {
  return (
    <Box flexDirection="column" width={width}>
      <Text color={message?.error ? 'red' : 'green'} wrap="truncate">{message?.text ?? ' '}</Text>
      {footerLines(width).map((line, i) => (
        <Text key={i} wrap="truncate">
          {line.map(([k, a]) => (
            <Text key={k}><Text bold color="cyan">{k}</Text><Text color="gray">{` ${a} `}</Text></Text>
          ))}
        </Text>
      ))}
    </Box>
  );
}
