import { askFleet, unreachableAnswer } from '../../api/fleet-client.js';
import { JobctlError } from '../../shared/errors.js';
import type { TaskStatus } from '../../shared/protocol.js';
import type { RunRecord } from '../../shared/types.js';
import { describeState } from '../commands/control.js';
import type { CliContext } from '../context.js';
import { CliError, EXIT, painter, printJson } from '../output.js';
import { openFleet, type FleetOptions } from './members.js';
import { resolveFleetTarget } from './targets.js';

export type FleetVerb = 'start' | 'stop' | 'restart' | 'run';

type Outcome = { tasks: TaskStatus[]; run?: RunRecord; outOfScope?: number } | { absent: true; forbidden?: string };

/**
 * `jobctl fleet start|stop|restart|run TARGET` on every host the target names, in parallel.
 * A bare task name goes to every host that has it; hosts without it are left out.
 * Exit: 0 all done, 1 a host refused or a task failed to start, 3 a host did not answer.
 */
export async function fleetControl(ctx: CliContext, verb: FleetVerb, text: string, opts: FleetOptions & { json?: boolean }): Promise<number> {
  const f = openFleet(ctx, opts);
  const t = resolveFleetTarget(text, f.fleet.hosts);
  if (verb === 'run' && (t.target.startsWith('@') || t.target === '*')) throw new CliError('fleet run takes a task (host:task, label:task or task), not a group', EXIT.USAGE);
  const answers = await askFleet(t.hosts.map(f.member), async (c): Promise<Outcome> => {
    try {
      if (verb === 'run') {
        const r = await c.call('run', { task: t.target });
        return { tasks: [r.task], ...(r.run ? { run: r.run } : {}) };
      }
      return verb === 'stop' ? await c.call('stop', { target: t.target }) : await c.call(verb, { target: t.target, wait: true });
    } catch (e) {
      if (t.wherever && e instanceof JobctlError && e.code === 'NOT_FOUND') return { absent: true };
      // A bare name on a host where it is outside the operator's rights (docs/access.md): not theirs there.
      if (t.wherever && e instanceof JobctlError && e.code === 'FORBIDDEN') return { absent: true, forbidden: e.message };
      throw e;
    }
  }, f.timeoutMs, false, verb === 'run' ? undefined : Math.max(f.timeoutMs, 30_000));
  const paint = painter(ctx.io.color);
  const present = answers.filter((a) => !(a.ok && 'absent' in a.value));
  if (present.length === 0) {
    const refused = answers.find((a) => a.ok && 'absent' in a.value && a.value.forbidden);
    if (refused?.ok && 'forbidden' in refused.value) throw new CliError(`${refused.host}: ${refused.value.forbidden}`, EXIT.FAILURE);
    throw new CliError(`no host in the fleet has "${t.target}"; \`jobctl fleet status\` lists the tasks`, EXIT.FAILURE);
  }
  if (opts.json) {
    printJson(ctx.io, present.map((a) => (a.ok ? { host: a.host, ok: true, ...a.value } : { host: a.host, ok: false, error: a.error })));
  } else {
    for (const a of present) {
      if (!a.ok) ctx.io.out(`${a.host}: ${paint('red', 'failed')}: ${a.error}`);
      else if (!('absent' in a.value)) {
        if (a.value.run) ctx.io.out(`${a.host}: ${a.value.run.task}: run ${a.value.run.id} ${a.value.run.state}`);
        else for (const task of a.value.tasks) ctx.io.out(`${a.host}: ${describeState(task, ctx.io.color)}`);
        if (a.value.outOfScope) ctx.io.out(`${a.host}: (${a.value.outOfScope} task(s) left alone: outside your rights)`);
      }
    }
  }
  if (present.some(unreachableAnswer)) return EXIT.UNREACHABLE;
  if (present.some((a) => !a.ok)) return EXIT.FAILURE;
  const bad = verb !== 'stop' && present.some((a) => a.ok && !('absent' in a.value) && a.value.tasks.some((x) => x.enabled && (x.state === 'fatal' || x.state === 'backoff')));
  return bad ? EXIT.FAILURE : EXIT.OK;
}
