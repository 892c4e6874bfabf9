import { Box, Text } from 'ink';
import type { HostConnection } from '../backend.js';

/** A fleet view's hosts: each one's connection, the first problem spelled out. */
export function HostBar({ hosts, selected, width }: { hosts: HostConnection[]; selected?: string | undefined; width: number }) {
  const down = hosts.find((h) => h.connection === 'disconnected');
  return (
    <Box width={width}>
      <Text wrap="truncate">
        <Text color="gray">hosts </Text>
        {hosts.map((h) => (
          <Text key={h.host} {...(h.host === selected ? { inverse: true } : {})} color={h.connection === 'connected' ? 'green' : h.connection === 'connecting' ? 'yellow' : 'red'}>
            {`${h.connection === 'connected' ? '●' : h.connection === 'connecting' ? '○' : '✗'} ${h.host} `}
          </Text>
        ))}
        {down ? <Text color="red">{` ${down.host}: ${down.error ?? 'unreachable'}`}</Text> : null}
      </Text>
    </Box>
  );
}
