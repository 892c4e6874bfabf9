import { Box, Text } from 'ink';
import type { DaemonInfo, TaskStatus } from '../../shared/protocol.js';
import type { ConnectionState } from '../backend.js';

/**
 * Where the TUI looks: `ssh://web1 · home /srv/jobs · pid 4242` (the far daemon's home and
 * pid), `home /srv/jobs · pid 4242` on this host, `fleet · 2/3 hosts` for a fleet.
 */
export function placeText(daemon: DaemonInfo | undefined, connection: ConnectionState, where: string | undefined, fleet: boolean): string {
  if (fleet) return `fleet · ${daemon?.home ?? 'connecting'}`;
  const at = where !== undefined ? `${where} · ` : '';
  if (connection !== 'connected' || !daemon) return `${at}${connection}`;
  return `${at}home ${daemon.home} · pid ${daemon.pid}`;
}

/** One line, cut at the width as a whole (never squeezed word by word). */
export function Header({ daemon, tasks, width, place }: { daemon?: DaemonInfo; tasks: TaskStatus[]; width: number; place: string }) {
  const running = tasks.filter((t) => t.state === 'running').length;
  const failing = tasks.filter((t) => ['fatal', 'backoff'].includes(t.state) || t.lastRun?.state === 'failed').length;
  const xxl = daemon?.xxljob;
  return (
    <Box width={width} height={1}>
    <Text wrap="truncate">
      <Text bold color="cyan">jobctl</Text>
      {` ${tasks.length} tasks · `}
      <Text color="green">{running} running</Text>
      {failing > 0 ? <Text color="red"> · {failing} failing</Text> : null}
      {xxl ? (
        <Text color={xxl.registered ? 'green' : 'red'}>
          {` · xxl-job ${xxl.registered ? 'registered' : 'not registered'}${xxl.pendingCallbacks ? `, ${xxl.pendingCallbacks} callback(s) waiting` : ''}`}
        </Text>
      ) : null}
      <Text color="gray">{` · ${place}`}</Text>
    </Text>
    </Box>
  );
}
