import type { Command } from 'commander';
import type { JobctlClient } from '../../api/client.js';
import { parseDuration } from '../../config/units.js';
import { JobctlError } from '../../shared/errors.js';
import { formatDuration, formatInZone } from '../../shared/format.js';
import { lineTime } from '../../shared/log-line.js';
import { homePaths } from '../../shared/paths.js';
import type { LogsResult, Params } from '../../shared/protocol.js';
import { describeHome } from '../../config/home.js';
import { action, type CliContext } from '../context.js';
import { followLog } from '../log-follow.js';
import { instanceTagger, prefixed, taskPrefixer } from '../log-prefix.js';
import { CliError, EXIT, printJson } from '../output.js';
import { parseCount } from '../parse.js';

interface LogsOptions {
  follow?: boolean;
  lines: string;
  run?: string;
  instance?: string;
  since?: string;
  json?: boolean;
}

interface Query {
  lines: number;
  instance?: number;
  run?: string;
  since?: number;
}

function parseQuery(opts: LogsOptions): Query {
  const q: Query = { lines: opts.lines === '0' ? 0 : parseCount(opts.lines, '-n', 100_000) };
  if (opts.instance !== undefined) {
    const instance = Number(opts.instance);
    if (!Number.isInteger(instance) || instance < 0) throw new CliError(`--instance: expected 0, 1, 2…, got "${opts.instance}"`, EXIT.USAGE);
    q.instance = instance;
  }
  if (opts.since !== undefined) {
    const ms = parseDuration(opts.since);
    if (ms === undefined) throw new CliError(`--since: "${opts.since}" is not a duration; use 30s, 10m, 2h`, EXIT.USAGE);
    q.since = Date.now() - ms;
  }
  if (opts.run !== undefined) q.run = opts.run;
  if (opts.json && opts.follow) throw new CliError('--json and -f do not go together', EXIT.USAGE);
  return q;
}

const params = (task: string, q: Query, follow: boolean): Params<'logs'> => ({
  task, lines: q.lines, ...(q.instance !== undefined ? { instance: q.instance } : {}), ...(q.run !== undefined ? { run: q.run } : {}),
  ...(q.since !== undefined ? { since: q.since } : {}), ...(follow ? { follow: true } : {}),
});

const sinceFilter = (lines: string[], since: number | undefined) => (since === undefined ? lines : lines.filter((l) => (lineTime(l) ?? Infinity) >= since));

/** Every task's recent lines, prefixed `task[#instance] | `, merged by time, the newest n. */
function mergeTasks(parts: Array<{ task: string; lines: string[] }>, n: number, color: boolean): string[] {
  const all = parts.flatMap((p, gi) => prefixed(p.task, p.lines, color).map((x, li) => ({ ...x, gi, li })));
  const ordered = all.every((x) => x.at < 0) ? all : [...all].sort((a, b) => a.at - b.at || a.gi - b.gi || a.li - b.li);
  return ordered.map((x) => x.text).slice(-n);
}

/** "no runs yet; next at …" for a cron task that never ran; undefined otherwise. */
async function noRunsYet(client: JobctlClient, task: string): Promise<string | undefined> {
  const s = (await client.call('status', { target: task })).tasks[0];
  if (!s || s.kind !== 'cron' || s.lastRun || s.activeRuns?.length) return undefined;
  if (s.nextRunAt === undefined) return `${task}: no runs yet; not scheduled (${s.state}); \`jobctl run ${task}\` runs it now`;
  return `${task}: no runs yet; next at ${formatInZone(new Date(s.nextRunAt), s.timezone)} (in ${formatDuration(Math.max(0, s.nextRunAt - Date.now()))})`;
}

/** The daemon is down: read state/ directly, and say so in one line. */
async function offline(ctx: CliContext, task: string | undefined, q: Query, opts: LogsOptions, why: JobctlError): Promise<number> {
  if (opts.follow) throw new CliError(`${why.message.replace(/: start it with.*$/, '')}: -f needs it (start it with \`jobctl up\`); without -f, logs reads the files in state/`, EXIT.UNREACHABLE);
  const { loggedTasks, offlineLogs } = await import('../../api/offline.js');
  const paths = homePaths(ctx.home());
  ctx.io.err(`jobctl: daemon not running (home ${describeHome(ctx.resolvedHome())}); reading the log files in ${paths.logs} directly`);
  if (task !== undefined) {
    const r = offlineLogs(paths, task, q);
    const lines = sinceFilter(r.lines, q.since).slice(-q.lines);
    if (opts.json) printJson(ctx.io, { lines, files: r.files });
    else if (lines.length) ctx.io.out(lines.join('\n'));
    else ctx.io.err(`jobctl: no log lines for ${task} in ${paths.logs}`);
    return EXIT.OK;
  }
  const parts = loggedTasks(paths).map((t) => ({ task: t, ...offlineLogs(paths, t, { lines: q.lines }) }));
  const lines = mergeTasks(parts.map((p) => ({ task: p.task, lines: sinceFilter(p.lines, q.since) })), q.lines, ctx.io.color);
  if (opts.json) printJson(ctx.io, { lines, files: parts.flatMap((p) => p.files) });
  else if (lines.length) ctx.io.out(lines.join('\n'));
  return EXIT.OK;
}

export function registerLogs(program: Command, ctx: CliContext): void {
  program
    .command('logs')
    .argument('[task]', 'task name (default: every task, each line prefixed task[#instance])')
    .description("a task's log: a service task's instances merged by time, or a cron task's last run; without a task, every task's")
    .option('-f, --follow', 'keep printing new output (Ctrl-C to stop)')
    .option('-n, --lines <N>', 'lines to print first', '50')
    .option('--run <id|last>', 'a cron run (default: the last one); with -f, follow that run to its end')
    .option('--instance <I>', "one instance of a service task")
    .option('--since <duration>', 'only lines from the last 10m, 1h… (needs logs.timestamps)')
    .option('--json', 'print {lines, files} (not with -f)')
    .addHelpText('after', '\nExamples:\n  jobctl logs -f                  # every task, like pm2 logs\n  jobctl logs worker -f\n  jobctl logs worker --instance 1 -n 200\n  jobctl logs nightly-report --run last\n  jobctl logs api --since 10m\n\nWith the daemon down, logs reads the files in state/logs directly (not with -f).')
    .action(action(ctx, async (task: string | undefined, opts: LogsOptions) => {
      const q = parseQuery(opts);
      if (task === undefined && (q.run !== undefined || q.instance !== undefined)) throw new CliError('--run and --instance need a TASK', EXIT.USAGE);
      let client: JobctlClient;
      try {
        client = await ctx.connect();
      } catch (e) {
        if (e instanceof JobctlError && e.code === 'DAEMON_UNREACHABLE' && e.message.startsWith('daemon not running')) return offline(ctx, task, q, opts, e);
        throw e;
      }
      try {
        const follow = Boolean(opts.follow);
        if (task !== undefined) {
          const r = await client.call('logs', params(task, q, follow));
          if (opts.json) {
            printJson(ctx.io, { lines: r.lines, files: r.files, ...(r.capped ? { capped: true } : {}) });
            return EXIT.OK;
          }
          if (r.capped) ctx.io.err(`jobctl: showing the last ${r.lines.length} lines: one request reads at most 512 KiB of log; read ${r.files.at(-1) ?? 'the log files'} for more`);
          if (r.lines.length) ctx.io.out(r.lines.join('\n'));
          else if (r.files.length === 0) {
            const none = await noRunsYet(client, task);
            if (none) (follow ? ctx.io.err : ctx.io.out)(none);
          }
          if (!follow) return EXIT.OK;
          const tagger = instanceTagger();
          return await followLog(client, r.subscription!, ctx.io, { format: (text, push) => (push.instance === undefined ? text : tagger.feed(text, push)) });
        }
        // Every task: one request each, on one connection; lines merged by time.
        const names = (await client.call('status', {})).tasks.map((t) => t.name);
        const results = await Promise.all(names.map(async (t): Promise<[string, LogsResult]> => [t, await client.call('logs', params(t, q, follow))]));
        const lines = mergeTasks(results.map(([t, r]) => ({ task: t, lines: r.lines })), q.lines, ctx.io.color);
        if (opts.json) {
          printJson(ctx.io, { lines, files: results.flatMap(([, r]) => r.files) });
          return EXIT.OK;
        }
        if (lines.length) ctx.io.out(lines.join('\n'));
        if (!follow) return EXIT.OK;
        const subs = new Map(results.filter(([, r]) => r.subscription !== undefined).map(([t, r]) => [r.subscription!, t] as const));
        const prefixer = taskPrefixer(subs, ctx.io.color);
        return await followLog(client, [...subs.keys()], ctx.io, {
          format: (text, push) => prefixer.feed(text, push),
          onEnd: (sub, reason) => ctx.io.err(`jobctl: ${subs.get(sub)}: ${reason}`),
        });
      } finally {
        client.close();
      }
    }));
}
