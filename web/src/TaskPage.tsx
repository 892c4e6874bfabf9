import { useEffect, useState } from 'react';
import type { HostView, TaskPageData, WebTask } from '../../src/web/wire.js';
import { ActionButtons } from './Actions.js';
import { fetchTask } from './api.js';
import { DurationChart } from './DurationChart.js';
import { clock, cpu, formatDuration, healthClass, healthOf, mem, lastRunCell, stateClass, upOrNextText, uptime } from './format.js';
import { LiveLog, StaticLog } from './LogView.js';
import { Timeline } from './Timeline.js';

function Instances({ task: t, now }: { task: WebTask; now: number }) {
  const list = t.instances ?? [];
  if (list.length === 0) return <p className="empty">No instance.</p>;
  return (
    <div className="table-wrap">
      <table className="instances">
        <thead><tr><th>#</th><th>STATE</th><th>PID</th><th>UPTIME</th><th className="num">CPU</th><th className="num">RSS</th><th className="num">RST</th><th>HEALTH</th><th>LAST EXIT</th></tr></thead>
        <tbody>
          {list.map((i) => (
            <tr key={i.index} data-instance={i.index}>
              <td>{i.index}</td>
              <td><span className={`badge ${stateClass(i.state)}`} data-state={i.state}>{i.state}</span>{i.message ? <span className="desc">{i.message}</span> : null}</td>
              <td className="num">{i.pid ?? '-'}</td>
              <td>{uptime(i, now)}</td>
              <td className="num">{cpu(i.cpu)}</td>
              <td className="num">{mem(i.rss)}</td>
              <td className="num">{i.restarts}</td>
              <td>{i.health ? <span className={`badge ${healthClass(i.health.state)}`}>{i.health.state}</span> : '-'}</td>
              <td>{i.lastExit ? `${i.lastExit.signal ? i.lastExit.signal : `code ${i.lastExit.code}`}${i.lastExit.oom ? ' (OOM)' : ''}, ${formatDuration(Math.max(0, now - i.lastExit.at))} ago` : '-'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function TaskPage({ taskKey, task, host, now, live, setLive, paused }: {
  taskKey: string;
  task: WebTask | undefined;
  host: HostView | undefined;
  now: number;
  live: boolean;
  setLive(v: boolean): void;
  paused: boolean;
}) {
  const [data, setData] = useState<TaskPageData | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [run, setRun] = useState<string | undefined>();
  // Fetched again when the task's state or last run changes (the stream says when).
  const version = task ? `${task.state}|${task.lastRun?.id}|${task.lastRun?.state}|${task.desired}` : '';
  useEffect(() => {
    if (!task) return;
    let on = true;
    fetchTask(taskKey).then((d) => on && (setData(d), setError(undefined)), (e: Error) => on && setError(e.message));
    return () => {
      on = false;
    };
  }, [taskKey, version]);

  if (!task) return <section className="task-page"><p className="empty">No task {taskKey} in this view (yet): its host may be connecting or down. <a href="#/">Overview</a></p></section>;
  const t = task;
  const health = healthOf(t);
  return (
    <section className="task-page" data-task={t.key}>
      <header className="task-head">
        <a href="#/" className="back" title="back (esc)">←</a>
        <h2>{t.name}</h2>
        <span className={`badge ${stateClass(t.state)}`} data-state={t.state}>{t.state}</span>
        {health ? <span className={`badge ${healthClass(health)}`}>{health}</span> : null}
        <span className="meta">{t.host} · {t.group} · {t.kind}{t.schedule ? ` · ${t.schedule}${t.timezone ? ` (${t.timezone})` : ''}` : ''}</span>
        <ActionButtons task={t} host={host} />
      </header>
      {t.description ? <p className="desc-line">{t.description}</p> : null}
      {t.waiting ? <p className="warn">{t.waiting}</p> : null}
      {t.rolling ? <p className="info">rolling restart {t.rolling.state}: {t.rolling.done}/{t.rolling.total}{t.rolling.message ? ` — ${t.rolling.message}` : ''}</p> : null}
      {error ? <p className="error">{error}</p> : null}
      <dl className="facts">
        {t.kind === 'cron' ? <><dt>next run</dt><dd>{t.nextRunAt ? `${clock(t.nextRunAt)} (${upOrNextText(t, now)})` : '-'}</dd><dt>last run</dt><dd className={t.lastRun ? stateClass(t.lastRun.state) : ''}>{lastRunCell(t.lastRun, now)}</dd></> : <><dt>up</dt><dd>{upOrNextText(t, now)}</dd><dt>running</dt><dd>{t.running ?? 0}/{t.instances?.length ?? 0}</dd></>}
        <dt>restarts</dt><dd>{t.restarts}</dd>
        <dt>CPU / RSS</dt><dd>{cpu(t.cpu)} / {mem(t.rss)}</dd>
      </dl>
      {t.kind === 'service' ? <><h3>Instances</h3><Instances task={t} now={now} /></> : null}
      {t.kind === 'cron' ? (
        <div className="runs">
          <div className="runs-list">
            <h3>Last runs</h3>
            <Timeline runs={data?.runs ?? []} now={now} selected={run} onSelect={(id) => setRun(run === id ? undefined : id)} />
          </div>
          <div className="runs-chart">
            <h3>Duration</h3>
            {data?.runs.some((r) => r.endedAt !== undefined && r.startedAt !== undefined) ? <DurationChart runs={data.runs} /> : <p className="empty">No finished run yet.</p>}
          </div>
        </div>
      ) : null}
      {run ? <><h3>Log of run {run} <button type="button" onClick={() => setRun(undefined)}>close</button></h3><StaticLog taskKey={t.key} run={run} /></> : null}
      <h3>
        Live log
        <button type="button" data-live={live ? 'on' : 'off'} onClick={() => setLive(!live)}>{live ? 'Stop following' : 'Follow'} <kbd>l</kbd></button>
        {live ? <span className="hint">{paused ? 'paused' : 'following'} — <kbd>space</kbd> {paused ? 'resumes' : 'pauses'}</span> : null}
      </h3>
      {live ? <LiveLog taskKey={t.key} paused={paused} /> : <StaticLog taskKey={t.key} />}
      <h3>Task as loaded</h3>
      <pre className="yaml" data-yaml>{data?.yaml ?? '…'}</pre>
      {data?.task.details?.lastLines.length ? <><h3>Last lines of the last exit</h3><pre className="log">{data.task.details.lastLines.join('\n')}</pre></> : null}
    </section>
  );
}
