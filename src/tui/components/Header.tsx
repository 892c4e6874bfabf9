import { Box, Text } from 'ink';
import type { DaemonInfo, TaskStatus } from '../../shared/protocol.js';
import type { ConnectionState } from '../backend.js';

export function Header({ daemon, tasks, connection, width }: { daemon?: DaemonInfo; tasks: TaskStatus[]; connection: ConnectionState; width: number }) {
  const running = tasks.filter((t) => t.state === 'running').length;
  const failing = tasks.filter((t) => ['fatal', 'backoff'].includes(t.state) || t.lastRun?.state === 'failed').length;
  const conn = connection === 'connected' ? (daemon ? `pid ${daemon.pid}` : '') : connection;
  return (
    <Box width={width}>
      <Text bold color="cyan">jobctl</Text>
      <Text> {tasks.length} tasks · </Text>
      <Text color="green">{running} running</Text>
      {failing > 0 ? <Text color="red"> · {failing} failing</Text> : null}
      {daemon?.xxljob ? (
        <Text color={daemon.xxljob.registered ? 'green' : 'red'}>
          {` · xxl-job ${daemon.xxljob.registered ? 'registered' : 'not registered'}${daemon.xxljob.pendingCallbacks ? `, ${daemon.xxljob.pendingCallbacks} callback(s) waiting` : ''}`}
        </Text>
      ) : null}
      <Text color="gray" wrap="truncate"> · {conn}{daemon ? ` · ${daemon.home}` : ''}</Text>
    </Box>
  );
}
