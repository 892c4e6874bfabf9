import { memo, useMemo, type RefObject } from 'react';
import type { HostView, WebTask } from '../../src/web/wire.js';
import { ActionButtons } from './Actions.js';
import { cpu, healthClass, healthOf, mem, procsCell, runCell, stateClass, timeCell } from './format.js';
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
  now: number;
  selected: boolean;
  onSelect(key: string): void;
}

const Row = memo(function Row({ task: t, host, fleet, now, selected, onSelect }: RowProps) {
  const health = healthOf(t);
  return (
    <tr className={selected ? 'selected' : ''} data-key={t.key} aria-selected={selected} onClick={() => onSelect(t.key)}>
      {fleet ? <td className="col-host">{t.host}</td> : null}
      <td className="col-name"><a href={taskHref(t.key)}>{t.name}</a>{t.description ? <span className="desc">{t.description}</span> : null}</td>
      <td className="col-group">{t.group}</td>
      <td className="col-state"><span className={`badge ${stateClass(t.state)}`} data-state={t.state}>{t.state}</span>{t.waiting ? <span className="desc">{t.waiting}</span> : null}</td>
      <td className="col-health">{health ? <span className={`badge ${healthClass(health)}`}>{health}</span> : ''}</td>
      <td className="col-procs num">{procsCell(t)}</td>
      <td className="col-time">{timeCell(t, now)}</td>
      <td className={`col-last ${t.lastRun ? stateClass(t.lastRun.state) : ''}`}>{runCell(t.lastRun, now)}</td>
      <td className="col-rst num">{t.restarts}</td>
      <td className="col-cpu num">{cpu(t.cpu)}</td>
      <td className="col-mem num">{mem(t.rss)}</td>
      <td className="col-actions"><ActionButtons task={t} host={host} compact /></td>
    </tr>
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
      <div className="table-wrap">
        <table className="tasks">
          <thead>
            <tr>
              {fleet ? <th className="col-host">HOST</th> : null}
              <th className="col-name">TASK</th>
              <th className="col-group">GROUP</th>
              <th className="col-state">STATE</th>
              <th className="col-health">HEALTH</th>
              <th className="col-procs num">PROCS</th>
              <th className="col-time">UP/NEXT</th>
              <th className="col-last">LAST</th>
              <th className="col-rst num">RST</th>
              <th className="col-cpu num">CPU</th>
              <th className="col-mem num">MEM</th>
              <th className="col-actions" />
            </tr>
          </thead>
          <tbody>
            {down.map((h) => (
              <tr key={`host:${h.name}`} className={`host-row ${h.connection}`} data-host-down={h.name}>
                <td colSpan={fleet ? 12 : 11}>
                  <strong>{h.name}</strong> {h.connection === 'connecting' ? 'connecting…' : `unreachable: ${h.error ?? 'no connection'}`} <span className="desc">{h.address}</span>
                </td>
              </tr>
            ))}
            {tasks.map((t) => (
              <Row key={t.key} task={t} host={hostByName.get(t.host)} fleet={fleet} now={now} selected={props.selected === t.key} onSelect={props.onSelect} />
            ))}
          </tbody>
        </table>
        {tasks.length === 0 && down.length === 0 ? <p className="empty">No task matches.</p> : null}
      </div>
    </section>
  );
}
