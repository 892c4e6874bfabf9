import type { FleetMember } from '../../api/fleet-client.js';
import { fleetPath, loadFleet, type Fleet, type FleetHost } from '../../config/fleet.js';
import { parseDuration } from '../../config/units.js';
import type { CliContext } from '../context.js';
import { CliError, EXIT } from '../output.js';

export interface FleetOptions {
  fleet?: string;
  timeout?: string;
}

export interface LoadedFleet {
  fleet: Fleet;
  timeoutMs: number;
  member(h: FleetHost): FleetMember;
}

/** The inventory and a way to reach each host (ssh in batch mode: no prompt can hang a fleet command). */
export function openFleet(ctx: CliContext, opts: FleetOptions): LoadedFleet {
  const fleet = loadFleet(fleetPath(opts.fleet, ctx.env, ctx.home()));
  let timeoutMs = fleet.timeoutMs;
  if (opts.timeout !== undefined) {
    const ms = parseDuration(opts.timeout);
    if (ms === undefined || ms <= 0) throw new CliError(`--timeout: "${opts.timeout}" is not a duration; use 5s, 1500ms`, EXIT.USAGE);
    timeoutMs = ms;
  }
  return {
    fleet,
    timeoutMs,
    member: (h) => ({
      name: h.name,
      labels: h.labels,
      // The fleet's own deadline (askFleet) comes first; the dial's and ssh's (ConnectTimeout, which also
      // bounds a server that never sends its banner) are backstops, so a silent host is TIMEOUT whatever the load.
      // A connection kept open (tui/web --fleet, fleet logs -f) is pinged when quiet and ends when a ping
      // gets no answer within the same timeout: a host that hangs later is down too, not "connected" for ever.
      dial: () => ctx.dial(h.address, {
        connectTimeoutMs: timeoutMs + 1000, batch: true, connectTimeoutSeconds: Math.ceil(timeoutMs / 1000) + 2,
        pingIntervalMs: timeoutMs, pingTimeoutMs: timeoutMs,
      }),
    }),
  };
}
