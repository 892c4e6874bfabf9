import { memo, startTransition, useEffect, useMemo, useState, type RefObject } from 'react';
import type { HostView, WebTask } from '../../src/web/wire.js';
import { ActionButtons } from './Actions.js';
import { cpu, healthClass, healthOf, mem, procsText, lastRunCell, stateClass, upOrNextText } from './format.js';
import { taskHref } from './route.js';

export interface Filter {
  text: string;
  host: string;
  group: string;
  state: string;
}

export const NO_FILTER: Filter = { text: '', host: '', group: '', state: '' };

/** The tasks a filter keeps, in the order the overview shows them (host, then group, then name). */
export function filterTasks(tasks: Iterable<WebTask>, f: Filter): WebTask[] {
  const text = f.text.trim().toLowerCase();
  const out: WebTask[] = [];
  for (const t of tasks) {
    if (f.host && t.host !== f.host) continue;
    if (f.group && t.group !== f.group) continue;
    if (f.state && t.state !== f.state) continue;
    if (text && !t.name.toLowerCase().includes(text) && !t.group.toLowerCase().includes(text) && !t.host.toLowerCase().includes(text)) continue;
    out.push(t);
  }
  return out.sort((a, b) => a.host.localeCompare(b.host) || a.group.localeCompare(b.group) || a.name.localeCompare(b.name));
}

interface RowProps {
  task: WebTask;
  host: HostView | undefined;
  fleet: boolean;
  /** The clock's cells, made by the list: a row renders again only when its own text changes. */
  time: string;
  last: string;
  selected: boolean;
  onSelect(key: string): void;
}

/** Rows painted at once; the rest follow a batch per frame (a 1,000-task fleet paints its first screen first). */
const FIRST_ROWS = 60;
const MORE_ROWS = 250;

const Row = memo(function Row({ task: t, host, fleet, time, last, selected, onSelect }: RowProps) {
  const health = healthOf(t);
  return (
    <div role="row" className={`trow${selected ? ' selected' : ''}`} data-key={t.key} aria-selected={selected} onClick={() => onSelect(t.key)}>
      {fleet ? <span role="cell" className="col-host">{t.host}</span> : null}
      <span role="cell" className="col-name"><a href={taskHref(t.key)}>{t.name}</a>{t.description ? <span className="desc" title={t.description}>{t.description}</span> : null}</span>
      <span role="cell" className="col-group">{t.group}</span>
      <span role="cell" className="col-state"><span className={`badge ${stateClass(t.state)}`} data-state={t.state} title={t.waiting}>{t.state}</span></span>
      <span role="cell" className="col-health">{health ? <span className={`badge ${healthClass(health)}`}>{health}</span> : ''}</span>
      <span role="cell" className="col-procs num">{procsText(t)}</span>
      <span role="cell" className="col-time">{time}</span>
      <span role="cell" className={`col-last ${t.lastRun ? stateClass(t.lastRun.state) : ''}`}>{last}</span>
      <span role="cell" className="col-rst num">{t.restarts}</span>
      <span role="cell" className="col-cpu num">{cpu(t.cpu)}</span>
      <span role="cell" className="col-mem num">{mem(t.rss)}</span>
      <span role="cell" className="col-actions"><ActionButtons task={t} host={host} compact /></span>
    </div>
  );
});

export function Overview(props: {
  tasks: WebTask[];
  allTasks: Map<string, WebTask>;
  hosts: HostView[];
  fleet: boolean;
  now: number;
  filter: Filter;
  setFilter(f: Filter): void;
  selected: string | undefined;
  onSelect(key: string): void;
  filterRef: RefObject<HTMLInputElement | null>;
}) {
  const { tasks, hosts, fleet, now, filter, setFilter } = props;
  const hostByName = useMemo(() => new Map(hosts.map((h) => [h.name, h])), [hosts]);
  const groups = useMemo(() => [...new Set([...props.allTasks.values()].map((t) => t.group))].sort(), [props.allTasks]);
  const states = useMemo(() => [...new Set([...props.allTasks.values()].map((t) => t.state))].sort(), [props.allTasks]);
  const [limit, setLimit] = useState(FIRST_ROWS);
  useEffect(() => {
    if (limit >= tasks.length) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    // After this frame is painted: the next batch, as a transition (keys and typing stay responsive).
    const frame = requestAnimationFrame(() => {
      timer = setTimeout(() => startTransition(() => setLimit((l) => l + MORE_ROWS)), 0);
    });
    return () => {
      cancelAnimationFrame(frame);
      clearTimeout(timer);
    };
  }, [limit, tasks.length]);
  const down = hosts.filter((h) => h.connection !== 'connected' && (!filter.host || filter.host === h.name));
  const counts = useMemo(() => {
    const c = { running: 0, failing: 0, stopped: 0 };
    for (const t of props.allTasks.values()) {
      if (t.state === 'fatal' || t.state === 'backoff' || t.lastRun?.state === 'failed' || t.lastRun?.state === 'timed-out') c.failing++;
      else if (t.state === 'running' || t.state === 'scheduled') c.running++;
      else c.stopped++;
    }
    return c;
  }, [props.allTasks]);
  return (
    <section className="overview">
      <div className="filters" role="search">
        <input
          ref={props.filterRef}
          type="search"
          placeholder="filter: name, group, host  ( / )"
          aria-label="filter tasks"
          value={filter.text}
          onChange={(e) => setFilter({ ...filter, text: e.target.value })}
        />
        {fleet ? (
          <select aria-label="host" value={filter.host} onChange={(e) => setFilter({ ...filter, host: e.target.value })}>
            <option value="">all hosts</option>
            {hosts.map((h) => <option key={h.name} value={h.name}>{h.name}</option>)}
          </select>
        ) : null}
        <select aria-label="group" value={filter.group} onChange={(e) => setFilter({ ...filter, group: e.target.value })}>
          <option value="">all groups</option>
          {groups.map((g) => <option key={g} value={g}>{g}</option>)}
        </select>
        <select aria-label="state" value={filter.state} onChange={(e) => setFilter({ ...filter, state: e.target.value })}>
          <option value="">all states</option>
          {states.map((s) => <option key={s} value={s}>{s}</option>)}
        </select>
        <span className="counts">
          <span className="c-green">{counts.running} ok</span> · <span className="c-red">{counts.failing} failing</span> · <span className="c-gray">{counts.stopped} other</span> · {tasks.length} shown
        </span>
      </div>
      {/* Rows are grid lines, not a <table>: each skips layout and paint while off screen (content-visibility), so 1,000 tasks paint as fast as a screenful. */}
      <div role="table" aria-label="tasks" className={`tasks ${fleet ? 'fleet' : 'single'}`}>
        <div role="row" className="trow thead">
          {fleet ? <span role="columnheader" className="col-host">HOST</span> : null}
          <span role="columnheader" className="col-name">TASK</span>
          <span role="columnheader" className="col-group">GROUP</span>
          <span role="columnheader" className="col-state">STATE</span>
          <span role="columnheader" className="col-health">HEALTH</span>
          <span role="columnheader" className="col-procs num">PROCS</span>
          <span role="columnheader" className="col-time">UP/NEXT</span>
          <span role="columnheader" className="col-last">LAST</span>
          <span role="columnheader" className="col-rst num">RST</span>
          <span role="columnheader" className="col-cpu num">CPU</span>
          <span role="columnheader" className="col-mem num">MEM</span>
          <span role="columnheader" className="col-actions" />
        </div>
        {down.map((h) => (
          <div role="row" key={`host:${h.name}`} className={`host-row ${h.connection}`} data-host-down={h.name}>
            <strong>{h.name}</strong> {h.connection === 'connecting' ? 'connecting…' : `unreachable: ${h.error ?? 'no connection'}`} <span className="desc">{h.address}</span>
          </div>
        ))}
        {tasks.slice(0, limit).map((t) => (
          <Row key={t.key} task={t} host={hostByName.get(t.host)} fleet={fleet} time={upOrNextText(t, now)} last={lastRunCell(t.lastRun, now)} selected={props.selected === t.key} onSelect={props.onSelect} />
        ))}
        {tasks.length === 0 && down.length === 0 ? <p className="empty">No task matches.</p> : null}
      </div>
    </section>
  );
}
