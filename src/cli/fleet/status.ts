import { askFleet, type HostAnswer } from '../../api/fleet-client.js';
import type { StatusResult, TaskStatus } from '../../shared/protocol.js';
import type { CliContext } from '../context.js';
import { EXIT, painter, printJson, table } from '../output.js';
import { formatIssue } from '../render/issues.js';
import { statusTable } from '../render/status.js';
import { openFleet, type FleetOptions } from './members.js';

/** `jobctl fleet status`: one table with a HOST column; an unreachable host is a row that says why. */
export async function fleetStatus(ctx: CliContext, opts: FleetOptions & { json?: boolean }): Promise<number> {
  const f = openFleet(ctx, opts);
  const answers = await askFleet(f.fleet.hosts.map(f.member), (c) => c.call('status', {}), f.timeoutMs);
  const tasks: TaskStatus[] = answers.flatMap((a) => (a.ok ? a.value.tasks.map((t) => ({ ...t, host: a.host })) : []));
  const allAnswered = answers.every((a) => a.ok);
  if (opts.json) {
    printJson(ctx.io, {
      hosts: answers.map((a) => (a.ok
        ? { host: a.host, ok: true, ms: a.ms, daemon: a.value.daemon }
        : { host: a.host, ok: false, ms: a.ms, error: a.error, code: a.code })),
      tasks,
    });
    return allAnswered ? EXIT.OK : EXIT.UNREACHABLE;
  }
  ctx.io.out(renderFleetStatus(answers, tasks, ctx.io.color));
  return allAnswered ? EXIT.OK : EXIT.UNREACHABLE;
}

export function renderFleetStatus(answers: Array<HostAnswer<StatusResult>>, tasks: TaskStatus[], color: boolean, now = Date.now()): string {
  const paint = painter(color);
  const out: string[] = [];
  if (tasks.length) out.push(statusTable(tasks, color, now));
  const quiet = answers.filter((a) => a.ok && a.value.tasks.length === 0).map((a) => a.host);
  const down = answers.filter((a): a is Extract<typeof a, { ok: false }> => !a.ok);
  const rows = [
    ...quiet.map((h) => [h, paint('dim', 'no tasks')]),
    ...down.map((a) => [a.host, `${paint('red', 'unreachable')}: ${a.error}`]),
  ];
  if (rows.length) out.push(...(tasks.length ? [''] : []), table(rows));
  for (const a of answers) {
    if (a.ok && a.value.daemon.configErrors.length) {
      out.push(paint('red', `${a.host}: ${a.value.daemon.configErrors.length} config error(s):`), ...a.value.daemon.configErrors.map((e) => `  ${formatIssue(e)}`));
    }
  }
  const ok = answers.length - down.length;
  out.push(paint(down.length ? 'yellow' : 'dim', `${ok}/${answers.length} host(s) answered`));
  return out.join('\n');
}
