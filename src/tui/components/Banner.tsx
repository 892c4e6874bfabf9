import { Box, Text } from 'ink';
import { configErrorHeadline } from '../../shared/config-errors.js';
import type { DaemonInfo } from '../../shared/protocol.js';
import type { ConnectionState } from '../backend.js';

/** A lost daemon, or config errors (and whether a last good version keeps running). */
export function Banner({ daemon, connection, width }: { daemon?: DaemonInfo; connection: ConnectionState; width: number }) {
  if (connection !== 'connected') {
    return (
      <Box width={width}>
        <Text backgroundColor="red" color="white" wrap="truncate">
          {connection === 'connecting' ? ' connecting to the daemon… ' : ' daemon not reachable: reconnecting every second (start it with `jobctl up`) '}
        </Text>
      </Box>
    );
  }
  const errors = daemon?.configErrors ?? [];
  if (errors.length === 0) return null;
  const first = errors[0]!;
  return (
    <Box width={width} flexDirection="column">
      <Text backgroundColor="yellow" color="black" wrap="truncate">
        {` ${configErrorHeadline(errors, daemon?.keptFiles)} `}
      </Text>
      <Text color="yellow" wrap="truncate">{`${first.file}:${first.line}:${first.col}${first.task ? ` task "${first.task}"` : ''}: ${first.message}`}</Text>
    </Box>
  );
}
