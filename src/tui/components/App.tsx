import { Box, Text, useApp, useInput, type Key } from 'ink';
import { useEffect, useMemo, useRef, useState } from 'react';
import type { TaskStatus } from '../../shared/protocol.js';
import { splitTaskKey, taskKey, type TuiBackend } from '../backend.js';
import { useDaemon } from '../hooks/use-daemon.js';
import { useHistory } from '../hooks/use-history.js';
import { useHosts } from '../hooks/use-hosts.js';
import { useLogFollow } from '../hooks/use-log-follow.js';
import { useLogReader } from '../hooks/use-log-reader.js';
import { useLogTarget } from '../hooks/use-log-target.js';
import { useStateRef } from '../hooks/use-state-ref.js';
import { moved, rollEnded, useTaskMessage, type TaskMessage } from '../hooks/use-task-message.js';
import { useTerminalSize } from '../hooks/use-terminal-size.js';
import { dispatch, eachKey, edited, type KeyHandlers, type KeyScope } from '../keys.js';
import { Banner } from './Banner.js';
import { Confirm } from './Confirm.js';
import { DetailPane } from './DetailPane.js';
import { FilterBar } from './FilterBar.js';
import { Footer, footerLines } from './Footer.js';
import { Header, placeText } from './Header.js';
import { Help, helpKeys } from './Help.js';
import { HostBar } from './HostBar.js';
import { LogScreen, logScreenKey, type LogScreenKeys } from './LogScreen.js';
import { TaskList } from './TaskList.js';

export interface AppProps {
  backend: TuiBackend;
  /** Render throttle for state pushes and log lines. @default 100 */
  flushMs?: number;
  /** Lines kept in the log view. @default 1000 */
  maxLogLines?: number;
  /** Hears every action a key runs, by view and action name (as in keys.ts KEYS). */
  onAction?: (scope: KeyScope, action: string) => void;
}

/** The smallest terminal the layout is made for; below it the TUI says so. */
export const MIN_SIZE = { columns: 50, rows: 12 };

type Pending = { verb: 'stop' | 'kill'; task: string } | undefined;

function matches(t: TaskStatus, filter: string, host: string | undefined): boolean {
  if (host !== undefined && t.host !== host) return false;
  if (!filter) return true;
  const f = filter.toLowerCase();
  return t.name.includes(f) || t.group.toLowerCase().includes(f) || `@${t.group}`.includes(f) || (t.host ?? '').toLowerCase().includes(f);
}

export function App({ backend, flushMs = 100, maxLogLines = 1000, onAction }: AppProps) {
  const { exit } = useApp();
  const { columns, rows } = useTerminalSize();
  const view = useDaemon(backend, flushMs);
  const connected = view.connection === 'connected';
  const [selectedName, setSelectedName] = useState<string | undefined>();
  const [filter, setFilter] = useState('');
  const hosts = useHosts(backend);
  const [hostFilter, setHostFilter] = useState<string | undefined>();
  // Modes are read by the key handler from refs: keys can arrive before the next render.
  const [filtering, setFiltering, filteringRef] = useStateRef(false);
  const [expanded, setExpanded] = useState(false);
  const [fullLogs, setFullLogs, fullLogsRef] = useStateRef(false);
  const [help, setHelp, helpRef] = useStateRef(false);
  const [pending, setPending, pendingRef] = useStateRef<Pending>(undefined);
  const [message, setMessage] = useTaskMessage(view.tasks);
  const reader = useLogReader();
  const [now, setNow] = useState(Date.now());

  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);

  const tasks = useMemo(() => view.tasks.filter((t) => matches(t, filter, hostFilter)), [view.tasks, filter, hostFilter]);
  const selected = Math.max(0, tasks.findIndex((t) => taskKey(t) === selectedName));
  const task = tasks[selected];
  const key = task ? taskKey(task) : undefined;
  // The cursor stays on the first row until the user moves it: in a fleet, hosts answer one by
  // one and their rows sort in above the first that came (issue 29: it opened on the local
  // host's first task, the first host's rows scrolled out above). Once moved, it follows its task.
  // A task whose log is open and that goes (removed from the files, or its host lost): the log
  // closes and says so, rather than turning into the log of the task now under the cursor.
  useEffect(() => {
    if (selectedName === undefined || key === selectedName) return;
    if (fullLogsRef.current && !view.tasks.some((t) => taskKey(t) === selectedName)) {
      setFullLogs(false);
      const { host } = splitTaskKey(selectedName);
      const down = host !== undefined && hosts?.find((h) => h.host === host)?.connection !== 'connected';
      setMessage({ text: `${selectedName} is gone: ${down ? `host ${host} is not connected` : 'it is no longer in the task files'}`, error: true, task: selectedName, gone: true });
    }
    if (key) setSelectedName(key);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, selectedName]);

  const runs = useHistory(backend, key, task?.kind === 'cron', task?.lastRun?.id ?? '', connected);
  const logSel = useLogTarget(task, key, runs);
  useEffect(() => {
    logSel.reset();
    reader.follow();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);
  const log = useLogFollow(backend, logSel.target, connected, maxLogLines, flushMs);
  // Scrolled back (reading, or on a search's match), the view holds still while lines come.
  const seenTotal = useRef(0);
  useEffect(() => {
    const added = log.total - seenTotal.current;
    seenTotal.current = log.total;
    reader.hold(added, log.lines.length);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [log.total]);
  // What the key handler acts on, assigned at every render: Ink re-subscribes the handler
  // only after painting, so a key can reach an older closure; it reads these instead.
  const live = useRef({ tasks, task, connected, runs, lines: log.lines, hosts, avail: rows });
  live.current = { ...live.current, tasks, task, connected, runs, lines: log.lines, hosts };
  const logTitle = task ? `log · ${logSel.label} · ${log.status}` : '';

  const move = (delta: number) => setSelectedName((prev) => {
    const list = live.current.tasks;
    const i = Math.max(0, list.findIndex((t) => taskKey(t) === prev));
    const next = list[Math.min(list.length - 1, Math.max(0, i + delta))];
    return next ? taskKey(next) : undefined;
  });
  /** `h` in a fleet view: all hosts -> each host in turn -> all hosts. */
  const cycleHost = () => {
    const names = (live.current.hosts ?? []).map((h) => h.host);
    if (!names.length) return;
    setHostFilter((cur) => (cur === undefined ? names[0] : names[names.indexOf(cur) + 1]));
  };
  const say = (text: string, error = false) => setMessage({ text, error });
  const act = (label: string, name: string, fn: () => Promise<Omit<TaskMessage, 'error' | 'task'>>) => {
    setMessage({ text: `${label}…`, error: false });
    fn().then((m) => setMessage({ ...m, error: false, task: name }), (e: Error) => say(e.message, true));
  };
  const control = (verb: 'start' | 'stop' | 'restart', name: string, before: string | undefined) => act(`${verb === 'stop' ? 'stopping' : `${verb}ing`} ${name}`, name, async () => {
    const state = (await backend.control(verb, name))[0]?.state ?? (verb === 'stop' ? 'stopped' : `${verb}ed`);
    return { text: `${name}: ${state}`, over: moved(before, state) };
  });
  const cycle = (dir: 1 | -1) => {
    const { task, runs } = live.current;
    if (!task) return;
    logSel.step(task.kind, dir, task.instances?.length ?? 0, runs);
    reader.follow();
  };
  const closeLogs = () => {
    setFullLogs(false);
    // Back in the list, the detail pane follows the log again.
    reader.follow();
    reader.closeSearch(false, []);
  };

  /** The list's actions (with the detail pane), by the names the keymap gives them. */
  const listKeys = (): KeyHandlers => {
    const { task, connected, lines } = live.current;
    const page = Math.max(1, rows - 8);
    const onTask = (fn: (name: string, t: TaskStatus) => void) => () => {
      if (!task) return;
      if (!connected) return say('not connected to the daemon', true);
      fn(taskKey(task), task);
    };
    return {
      pageBack: () => reader.scrollBy(page, lines.length),
      pageForward: () => reader.scrollBy(-page, lines.length),
      earlier: () => cycle(-1),
      later: () => cycle(1),
      wrap: () => reader.toggleWrap(),
      left: () => reader.sideways(-Math.floor(columns / 2)),
      right: () => reader.sideways(Math.floor(columns / 2)),
      quit: () => exit(),
      help: () => setHelp(true),
      filter: () => setFiltering(true),
      back: () => {
        if (expanded) setExpanded(false);
        else if (filter) setFilter('');
      },
      up: () => move(-1),
      down: () => move(1),
      toggleDetail: () => setExpanded((e) => !e),
      openLogs: () => {
        // The log is of this task: pinned, so that its going is seen (not another task's log).
        // A move earlier in the same chunk of keys (`jl`) already chose it: keep that choice
        // (this render's `task` is the one before the move).
        setSelectedName((prev) => prev ?? (live.current.task ? taskKey(live.current.task) : undefined));
        setFullLogs(true);
      },
      nextHost: () => cycleHost(),
      start: onTask((name, t) => control('start', name, t.state)),
      restart: onTask((name, t) => control('restart', name, t.state)),
      roll: onTask((name) => act(`rolling restart of ${name}`, name, async () => {
        const roll = (await backend.control('rolling', name))[0]?.rolling;
        const progress = (t: Pick<TaskStatus, 'rolling'>) => (t.rolling?.state === 'running' ? `${name}: rolling restart ${t.rolling.done}/${t.rolling.total} (progress in the detail pane)` : undefined);
        if (!roll) return { text: `${name}: rolling restart started` };
        // Already over (a fast roll): its outcome is the last word, not a progress that goes away.
        if (roll.state !== 'running') return { text: `${name}: rolling restart ${roll.state} (${roll.done}/${roll.total})${roll.message ? `: ${roll.message}` : ''}` };
        return { text: progress({ rolling: roll })!, over: rollEnded(roll.startedAt), live: progress };
      })),
      trigger: onTask((name) => act(`triggering ${name}`, name, async () => {
        const r = await backend.run(name);
        return { text: r ? `${name}: run ${r.id} ${r.state}${r.message && r.state !== 'running' ? ` (${r.message})` : ''}` : `${name}: started` };
      })),
      stop: onTask((name) => setPending({ verb: 'stop', task: name })),
      kill: onTask((name) => setPending({ verb: 'kill', task: name })),
    };
  };
  /** The stop/kill question: `y` runs it, any other key cancels. */
  const confirmKey = (input: string, k: Key): void => {
    const { verb, task: name } = pendingRef.current!;
    setPending(undefined);
    const yes = () => {
      if (verb === 'stop') control('stop', name, live.current.task?.state);
      else act(`killing ${name}`, name, async () => ({ text: `sent SIGKILL to ${await backend.kill(name, 'SIGKILL')} group(s) of ${name}` }));
    };
    if (!dispatch('confirm', input, k, { yes }, onAction)) say('cancelled');
  };
  /** The filter bar: Enter keeps the filter, Esc clears it, other keys edit it. */
  const filterKey = (input: string, k: Key): void => {
    const handled = dispatch('filter', input, k, {
      keep: () => setFiltering(false),
      clear: () => {
        setFilter('');
        setFiltering(false);
      },
    }, onAction);
    if (!handled) setFilter((f) => edited(f, input, k) ?? f);
  };
  const logKeys: LogScreenKeys = {
    reader, lines: () => live.current.lines, height: () => live.current.avail, width: () => columns, cycle, close: closeLogs, quit: exit,
  };
  // One subscription routes every key by the mode it finds (refs, not the last render): a
  // key typed right after `l` or `?` reaches the log view or the help, and a chunk of keys
  // can switch modes midway. Each view's keys are its bindings in the keymap (keys.ts KEYS),
  // run from its handler table (listKeys, logScreenKey, helpKeys, confirmKey, filterKey).
  useInput((input, k) => eachKey(input, k, () => filteringRef.current || reader.typing.current, (i, key) => {
    if (helpRef.current) dispatch('help', i, key, helpKeys({ close: () => setHelp(false), quit: exit }), onAction);
    else if (fullLogsRef.current && live.current.task) logScreenKey(i, key, logKeys, onAction);
    else if (pendingRef.current) confirmKey(i, key);
    else if (filteringRef.current) filterKey(i, key);
    else dispatch('list', i, key, listKeys(), onAction);
  }));

  if (columns < MIN_SIZE.columns || rows < MIN_SIZE.rows) {
    return (
      <Box width={columns} height={rows} flexDirection="column">
        <Text wrap="truncate" color="yellow">{`jobctl tui needs ${MIN_SIZE.columns}×${MIN_SIZE.rows}`}</Text>
        <Text wrap="truncate" color="yellow">{`this is ${columns}×${rows}: make it bigger (q quits)`}</Text>
      </Box>
    );
  }
  const width = columns;
  const bannerH = !connected ? 1 : view.daemon?.configErrors.length ? 2 : 0;
  const filterH = filtering || filter || hostFilter !== undefined ? 1 : 0;
  const hostsH = hosts ? 1 : 0;
  const footerH = 1 + footerLines(width).length;
  const avail = Math.max(4, rows - 1 - bannerH - hostsH - filterH - footerH - (pending ? 1 : 0));
  const listH = expanded ? Math.min(6, avail - 4) : Math.max(4, Math.ceil(avail * 0.45));
  const detailH = avail - listH;
  live.current.avail = avail;
  const place = placeText(view.daemon, view.connection, backend.where, hosts !== undefined);
  const hostDetail = task?.host !== undefined ? backend.hostDetail?.(task.host) : undefined;

  return (
    <Box flexDirection="column" width={width} height={rows}>
      <Header tasks={view.tasks} width={width} place={place} {...(view.daemon ? { daemon: view.daemon } : {})} />
      <Banner connection={view.connection} width={width} {...(view.daemon ? { daemon: view.daemon } : {})} />
      {hosts ? <HostBar hosts={hosts} selected={hostFilter} width={width} /> : null}
      <FilterBar text={filter} editing={filtering} {...(hostFilter !== undefined ? { host: hostFilter } : {})} />
      {help ? (
        <Help width={width} height={avail} />
      ) : fullLogs && task && (selectedName === undefined || key === selectedName) ? (
        <LogScreen lines={log.lines} height={avail} width={width} title={`${task.name} · ${logTitle}`} reader={reader} />
      ) : (
        <>
          <TaskList tasks={tasks} selected={selected} height={listH} width={width} now={now} />
          {task ? (
            <DetailPane task={task} runs={runs} logLines={log.lines} logTitle={logTitle} reader={reader} height={detailH} width={width} now={now} {...(hostDetail ? { hostDetail } : {})} />
          ) : (
            <Box height={detailH}><Text color="gray">{filter || hostFilter ? `no task matches "${filter}"${hostFilter ? ` on ${hostFilter}` : ''}` : ' '}</Text></Box>
          )}
        </>
      )}
      {pending ? <Confirm question={`${pending.verb === 'stop' ? 'stop' : 'SIGKILL'} ${pending.task}?`} /> : null}
      <Footer width={width} {...(message ? { message } : {})} />
    </Box>
  );
}
