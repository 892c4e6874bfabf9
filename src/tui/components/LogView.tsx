import { Box, Text } from 'ink';

/**
 * The last `height` lines, or earlier ones when scrolled back (`scroll` lines up from the
 * bottom). Only visible lines are rendered; each is cut to the width.
 */
export function LogView({ lines, height, width, scroll, title }: { lines: string[]; height: number; width: number; scroll: number; title: string }) {
  const body = Math.max(1, height - 1);
  const end = Math.max(0, lines.length - scroll);
  const visible = lines.slice(Math.max(0, end - body), end);
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text color="cyan" wrap="truncate">{title}{scroll > 0 ? `  (scrolled back ${scroll} lines; PgDn to follow)` : ''}</Text>
      {visible.map((l, i) => (
        <Text key={i} wrap="truncate">{l.replace(/\t/g, '  ').replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '')}</Text>
      ))}
    </Box>
  );
}
