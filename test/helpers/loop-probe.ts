import net from 'node:net';

/** Hold the loop's thread for `ms`, as a fork or an exit's settle and restart do. */
export function hold(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) { /* busy */ }
}

/**
 * A request already sent on a real socket when the caller's burst begins: `answer` is what
 * `count()` was when the loop got round to answering it. `close` ends client and server.
 */
export async function askedBeforeBurst(count: () => number): Promise<{ answer: Promise<number>; close: () => void }> {
  const server = net.createServer((c) => c.on('data', () => c.end(String(count()))));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  await new Promise<void>((r) => client.once('connect', r));
  const answer = new Promise<number>((r) => client.once('data', (d) => r(Number(d.toString()))));
  client.write('status?');
  return {
    answer,
    close: () => {
      client.destroy();
      server.close();
    },
  };
}
