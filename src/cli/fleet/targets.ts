import type { FleetHost } from '../../config/fleet.js';
import { CliError, EXIT } from '../output.js';

/** A fleet TARGET resolved: which hosts, and the target each daemon gets. */
export interface FleetTarget {
  hosts: FleetHost[];
  /** Task name, `@group`, or `*`. */
  target: string;
  /** A bare `task`: hosts that do not have it are left out, not errors. */
  wherever: boolean;
}

/**
 * `host:task`, `label:task`, `host:@group`, `label:@group`, `host:*`, or a bare `task` /
 * `@group` (every host that has it). A host name wins over a label of the same name.
 */
export function resolveFleetTarget(text: string, hosts: readonly FleetHost[]): FleetTarget {
  const colon = text.indexOf(':');
  if (colon === -1) return { hosts: [...hosts], target: text, wherever: true };
  const who = text.slice(0, colon);
  const target = text.slice(colon + 1);
  if (!who || !target) throw new CliError(`bad target "${text}": write host:task, label:task, host:@group or task`, EXIT.USAGE);
  const byName = hosts.filter((h) => h.name === who);
  const chosen = byName.length ? byName : hosts.filter((h) => h.labels.includes(who));
  if (!chosen.length) {
    const labels = [...new Set(hosts.flatMap((h) => h.labels))];
    throw new CliError(`no host or label "${who}" in the fleet; hosts: ${hosts.map((h) => h.name).join(', ')}${labels.length ? `; labels: ${labels.join(', ')}` : ''}`, EXIT.USAGE);
  }
  return { hosts: chosen, target, wherever: false };
}
