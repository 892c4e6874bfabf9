import { askFleet, type HostAnswer } from '../../api/fleet-client.js';
import type { StatusResult } from '../../shared/protocol.js';
import { FleetAggregate } from '../../view/fleet-aggregate.js';
import type { CliContext } from '../context.js';
import { EXIT, painter, printJson, table } from '../output.js';
import { formatIssue } from '../render/issues.js';
import { statusTable } from '../render/status.js';
import { openFleet, type FleetOptions } from './members.js';

/** The hosts' answers merged by the fleet's one aggregator (as `tui --fleet` and `web` merge them). */
export function aggregateAnswers(answers: ReadonlyArray<HostAnswer<StatusResult>>): FleetAggregate {
  const fleet = new FleetAggregate(answers.map((a) => a.host));
  for (const a of answers) {
    if (a.ok) fleet.answered(a.host, a.value);
    else fleet.down(a.host, a.error);
  }
  return fleet;
}

/** `jobctl fleet status`: one table with a HOST column; an unreachable host is a row that says why. */
export async function fleetStatus(ctx: CliContext, opts: FleetOptions & { json?: boolean }): Promise<number> {
  const f = openFleet(ctx, opts);
  const answers = await askFleet(f.fleet.hosts.map(f.member), (c) => c.call('status', {}), f.timeoutMs);
  const fleet = aggregateAnswers(answers);
  const allAnswered = answers.every((a) => a.ok);
  if (opts.json) {
    printJson(ctx.io, {
      hosts: answers.map((a) => (a.ok
        ? { host: a.host, ok: true, ms: a.ms, daemon: a.value.daemon }
        : { host: a.host, ok: false, ms: a.ms, error: a.error, code: a.code })),
      tasks: fleet.tasks(),
    });
    return allAnswered ? EXIT.OK : EXIT.UNREACHABLE;
  }
  ctx.io.out(renderFleetStatus(fleet, ctx.io.color));
  return allAnswered ? EXIT.OK : EXIT.UNREACHABLE;
}

export function renderFleetStatus(fleet: FleetAggregate, color: boolean, now = Date.now()): string {
  const paint = painter(color);
  const out: string[] = [];
  const tasks = fleet.tasks();
  const hosts = fleet.hosts();
  if (tasks.length) out.push(statusTable(tasks, color, now));
  const quiet = hosts.filter((h) => h.answered && h.taskCount === 0).map((h) => h.host);
  const down = hosts.filter((h) => !h.answered);
  const rows = [
    ...quiet.map((h) => [h, paint('dim', 'no tasks')]),
    ...down.map((h) => [h.host, `${paint('red', 'unreachable')}: ${h.error ?? ''}`]),
  ];
  if (rows.length) out.push(...(tasks.length ? [''] : []), table(rows));
  const errorsOf = new Map<string, string[]>();
  for (const { host, issue } of fleet.configErrors()) errorsOf.set(host, [...(errorsOf.get(host) ?? []), `  ${formatIssue(issue)}`]);
  for (const [host, lines] of errorsOf) out.push(paint('red', `${host}: ${lines.length} config error(s):`), ...lines);
  out.push(paint(down.length ? 'yellow' : 'dim', `${hosts.length - down.length}/${hosts.length} host(s) answered`));
  return out.join('\n');
}
