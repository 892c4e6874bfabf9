import { FleetBackend } from '../tui/fleet-backend.js';
import type { Dialer } from '../tui/backend.js';
import { loadAssets } from './assets.js';
import { WebAuth } from './auth.js';
import { HostLinks } from './host-links.js';
import { WebHub } from './hub.js';
import type { WebListen } from './listen.js';
import { startWebServer } from './server.js';
import type { Snapshot } from './wire.js';

export interface WebHost {
  name: string;
  /** As the user wrote it: `local`, `ssh://…`. */
  address: string;
  labels: readonly string[];
  dial: Dialer;
}

export interface WebOptions {
  hosts: readonly WebHost[];
  mode: Snapshot['mode'];
  title: string;
  listen: WebListen;
  readOnly?: boolean;
  /** Fixed token (tests, benchmarks); random otherwise. */
  token?: string;
  /** Seconds between reconnection attempts to a host that is down. @default 2000 */
  retryMs?: number;
  /** Each host's deadline to be reached and answer (the fleet's `timeout`, as `fleet status`); unset: none. */
  answerMs?: number;
}

export interface RunningWeb {
  /** The address to open, with the token. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * `jobctl web`: one backend for every host (the fleet TUI's; one host is a fleet of one),
 * its state kept by the hub, served by the HTTP server. Returns once the server listens;
 * hosts connect in the background (each is a row that says how it is).
 */
export async function startWeb(o: WebOptions): Promise<RunningWeb> {
  const assets = loadAssets();
  const links = new HostLinks();
  const backend = new FleetBackend(o.hosts.map((h) => ({ name: h.name, dial: links.wrap(h.name, h.dial) })), o.retryMs ?? 2000, o.answerMs);
  const hub = new WebHub({ backend, links, hosts: o.hosts, mode: o.mode, title: o.title, readOnly: o.readOnly ?? false });
  const auth = new WebAuth({ host: o.listen.host, port: o.listen.port, tls: o.listen.tls !== undefined, ...(o.listen.tls ? { names: o.listen.tls.names } : {}), ...(o.token ? { token: o.token } : {}) });
  let server;
  try {
    server = await startWebServer({ listen: o.listen, auth, hub, backend, links, assets });
  } catch (e) {
    hub.close();
    backend.close();
    throw e;
  }
  backend.start();
  const running = server;
  return {
    url: auth.startUrl,
    port: running.port,
    close: async () => {
      hub.close();
      backend.close();
      await running.close();
    },
  };
}
