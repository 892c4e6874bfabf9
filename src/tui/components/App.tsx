import { Box, Text, useApp, useInput, type Key } from 'ink';
import { useEffect, useMemo, useRef, useState } from 'react';
import type { TaskStatus } from '../../shared/protocol.js';
import { taskKey, type HostConnection, type LogTarget, type TuiBackend } from '../backend.js';
import { useDaemon } from '../hooks/use-daemon.js';
import { useHistory } from '../hooks/use-history.js';
import { useLogFollow } from '../hooks/use-log-follow.js';
import { useStateRef } from '../hooks/use-state-ref.js';
import { useTerminalSize } from '../hooks/use-terminal-size.js';
import { Banner } from './Banner.js';
import { Confirm } from './Confirm.js';
import { DetailPane } from './DetailPane.js';
import { FilterBar } from './FilterBar.js';
import { Footer, footerLines } from './Footer.js';
import { Header } from './Header.js';
import { Help } from './Help.js';
import { HostBar } from './HostBar.js';
import { LogView } from './LogView.js';
import { TaskList } from './TaskList.js';

export interface AppProps {
  backend: TuiBackend;
  /** Render throttle for state pushes and log lines. @default 100 */
  flushMs?: number;
  /** Lines kept in the log view. @default 1000 */
  maxLogLines?: number;
}

type Pending = { verb: 'stop' | 'kill'; task: string } | undefined;

const NO_KEY = {
  upArrow: false, downArrow: false, leftArrow: false, rightArrow: false, pageDown: false, pageUp: false,
  home: false, end: false, return: false, escape: false, ctrl: false, shift: false, tab: false,
  backspace: false, delete: false, meta: false, super: false, hyper: false, capsLock: false, numLock: false,
} as Key;

function matches(t: TaskStatus, filter: string, host: string | undefined): boolean {
  if (host !== undefined && t.host !== host) return false;
  if (!filter) return true;
  const f = filter.toLowerCase();
  return t.name.includes(f) || t.group.toLowerCase().includes(f) || `@${t.group}`.includes(f) || (t.host ?? '').toLowerCase().includes(f);
}

/** A fleet backend's hosts, re-read when they change. */
function useHosts(backend: TuiBackend): HostConnection[] | undefined {
  const [hosts, setHosts] = useState<HostConnection[] | undefined>(() => backend.hosts?.());
  useEffect(() => {
    if (!backend.hosts) return;
    const on = (h: HostConnection[]) => setHosts(h);
    backend.on('hosts', on);
    return () => {
      backend.off('hosts', on);
    };
  }, [backend]);
  return hosts;
}

export function App({ backend, flushMs = 100, maxLogLines = 1000 }: AppProps) {
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
  const [message, setMessage] = useState<{ text: string; error: boolean } | undefined>();
  const [scroll, setScroll] = useState(0);
  const [logSel, setLogSel] = useState(-1);
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
  useEffect(() => {
    if (selectedName !== undefined && key && key !== selectedName) setSelectedName(key);
  }, [key, selectedName]);
  useEffect(() => {
    setLogSel(-1);
    setScroll(0);
  }, [key]);

  const runs = useHistory(backend, key, task?.kind === 'cron', task?.lastRun?.id ?? '', connected);
  const logTarget: LogTarget | undefined = useMemo(() => {
    if (!task || !key) return undefined;
    if (task.kind === 'daemon') return logSel >= 0 ? { task: key, instance: logSel } : { task: key };
    const run = logSel >= 0 ? runs[runs.length - 1 - logSel]?.id : undefined;
    return run ? { task: key, run } : { task: key };
  }, [key, task?.kind, logSel, runs]);
  const log = useLogFollow(backend, logTarget, connected, maxLogLines, flushMs);
  // What the key handler acts on, assigned at every render: Ink re-subscribes the handler
  // only after painting, so a key can reach an older closure; it reads these instead.
  const live = useRef({ tasks, task, connected, runs, logLength: 0, hosts });
  live.current = { tasks, task, connected, runs, logLength: log.lines.length, hosts };
  const logTitle = !task ? '' : task.kind === 'daemon'
    ? `log · ${logSel >= 0 ? `instance ${logSel}` : 'all instances'} · ${log.status}`
    : `log · ${logTarget?.run ? `run ${logTarget.run}` : 'latest runs'} · ${log.status}`;

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
  const act = (label: string, fn: () => Promise<string>) => {
    say(`${label}…`);
    fn().then((text) => say(text), (e: Error) => say(e.message, true));
  };
  const cycle = (dir: 1 | -1) => {
    const { task, runs } = live.current;
    if (!task) return;
    const count = task.kind === 'daemon' ? task.instances?.length ?? 0 : runs.length;
    setLogSel((s) => {
      const next = s + dir;
      return next < -1 ? count - 1 : next >= count ? -1 : next;
    });
    setScroll(0);
  };

  const onKey = (input: string, key: Key): void => {
    const { task, connected, logLength } = live.current;
    if (helpRef.current) {
      if (key.escape || input === '?' || input === 'q') setHelp(false);
      return;
    }
    if (pendingRef.current) {
      const { verb, task: name } = pendingRef.current;
      setPending(undefined);
      if (input === 'y' || input === 'Y') {
        if (verb === 'stop') act(`stopping ${name}`, async () => `${name}: ${(await backend.control('stop', name))[0]?.state ?? 'stopped'}`);
        else act(`killing ${name}`, async () => `sent SIGKILL to ${await backend.kill(name, 'SIGKILL')} group(s) of ${name}`);
      } else say('cancelled');
      return;
    }
    if (filteringRef.current) {
      if (key.escape) {
        setFilter('');
        setFiltering(false);
      } else if (key.return) setFiltering(false);
      else if (key.backspace || key.delete) setFilter((f) => f.slice(0, -1));
      else if (input && !key.ctrl && !key.meta) setFilter((f) => f + input);
      return;
    }
    const page = Math.max(1, rows - 8);
    if (key.pageUp) return setScroll((s) => Math.min(s + page, Math.max(0, logLength - 1)));
    if (key.pageDown) return setScroll((s) => Math.max(0, s - page));
    if (input === '[') return cycle(-1);
    if (input === ']') return cycle(1);
    if (fullLogsRef.current) {
      if (key.escape || input === 'l' || input === 'q') setFullLogs(false);
      else if (key.upArrow || input === 'k') setScroll((s) => Math.min(s + 1, Math.max(0, logLength - 1)));
      else if (key.downArrow || input === 'j') setScroll((s) => Math.max(0, s - 1));
      return;
    }
    if (input === 'q') return exit();
    if (input === '?') return setHelp(true);
    if (input === '/') return setFiltering(true);
    if (key.escape) {
      if (expanded) setExpanded(false);
      else if (filter) setFilter('');
      return;
    }
    if (key.upArrow || input === 'k') return move(-1);
    if (key.downArrow || input === 'j') return move(1);
    if (key.return) return setExpanded((e) => !e);
    if (input === 'l') return setFullLogs(true);
    if (input === 'h') return cycleHost();
    if (!task) return;
    if (!connected) return say('not connected to the daemon', true);
    const name = taskKey(task);
    if (input === 's') act(`starting ${name}`, async () => `${name}: ${(await backend.control('start', name))[0]?.state ?? 'started'}`);
    else if (input === 'r') act(`restarting ${name}`, async () => `${name}: ${(await backend.control('restart', name))[0]?.state ?? 'restarted'}`);
    else if (input === 'R') act(`rolling restart of ${name}`, async () => {
      const t = (await backend.control('rolling', name))[0];
      return `${name}: rolling restart ${t?.rolling ? `${t.rolling.done}/${t.rolling.total}` : 'started'} (progress in the detail pane)`;
    });
    else if (input === 't') act(`triggering ${name}`, async () => {
      const r = await backend.run(name);
      return r ? `${name}: run ${r.id} ${r.state}${r.message && r.state !== 'running' ? ` (${r.message})` : ''}` : `${name}: started`;
    });
    else if (input === 'x') setPending({ verb: 'stop', task: name });
    else if (input === 'K') setPending({ verb: 'kill', task: name });
  };
  // Keys typed fast (or sent by tmux) arrive as one chunk: take them one at a time,
  // except while typing a filter, where a paste is text.
  useInput((input, key) => {
    if (input.length > 1 && !filteringRef.current && !key.ctrl && !key.meta && /^[\x20-\x7e]+$/.test(input)) {
      for (const ch of input) onKey(ch, NO_KEY);
    } else onKey(input, key);
  });

  const width = Math.max(40, columns);
  const bannerH = !connected ? 1 : view.daemon?.configErrors.length ? 2 : 0;
  const filterH = filtering || filter || hostFilter !== undefined ? 1 : 0;
  const hostsH = hosts ? 1 : 0;
  const footerH = 1 + footerLines(width).length;
  const avail = Math.max(4, rows - 1 - bannerH - hostsH - filterH - footerH - (pending ? 1 : 0));
  const listH = expanded ? Math.min(6, avail - 4) : Math.max(4, Math.ceil(avail * 0.45));
  const detailH = avail - listH;

  return (
    <Box flexDirection="column" width={width} height={rows}>
      <Header tasks={view.tasks} connection={view.connection} width={width} {...(view.daemon ? { daemon: view.daemon } : {})} />
      <Banner connection={view.connection} width={width} {...(view.daemon ? { daemon: view.daemon } : {})} />
      {hosts ? <HostBar hosts={hosts} selected={hostFilter} width={width} /> : null}
      <FilterBar text={filter} editing={filtering} {...(hostFilter !== undefined ? { host: hostFilter } : {})} />
      {help ? (
        <Help width={width} height={avail} />
      ) : fullLogs && task ? (
        <LogView lines={log.lines} height={avail} width={width} scroll={scroll} title={`${task.name} · ${logTitle}`} />
      ) : (
        <>
          <TaskList tasks={tasks} selected={selected} height={listH} width={width} now={now} />
          {task ? (
            <DetailPane task={task} runs={runs} logLines={log.lines} logTitle={logTitle} scroll={scroll} height={detailH} width={width} now={now} />
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
