import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { ActionsProvider, useActions, verbForKey } from './Actions.js';
import { EventsPane } from './EventsPane.js';
import { Help } from './Help.js';
import { typing } from './keys.js';
import { NO_FILTER, Overview, filterTasks, type Filter } from './Overview.js';
import { go, taskHref, useRoute } from './route.js';
import { useView } from './store.js';
import { TaskPage } from './TaskPage.js';

/** A clock for "in 5s" and "2m ago", on the server's time. */
function useNow(skew: number, everyMs: number): number {
  const [now, setNow] = useState(() => Date.now() + skew);
  useEffect(() => {
    setNow(Date.now() + skew);
    const t = setInterval(() => setNow(Date.now() + skew), everyMs);
    return () => clearInterval(t);
  }, [skew, everyMs]);
  return now;
}

function Page() {
  const view = useView();
  const route = useRoute();
  const actions = useActions();
  const [filter, setFilter] = useState<Filter>(NO_FILTER);
  const [selected, setSelected] = useState<string | undefined>();
  const [help, setHelp] = useState(false);
  const [events, setEvents] = useState(() => window.matchMedia('(min-width: 1100px)').matches);
  const [live, setLive] = useState(false);
  const [paused, setPaused] = useState(false);
  const filterRef = useRef<HTMLInputElement>(null);
  const fleet = view.mode === 'fleet' || view.hosts.length > 1;
  const now = useNow(view.skew, route.page === 'task' ? 1000 : 2000);
  const shown = useMemo(() => filterTasks(view.tasks.values(), filter), [view.tasks, filter]);
  const current = route.page === 'task' ? view.tasks.get(route.key) : selected ? view.tasks.get(selected) : undefined;

  useEffect(() => {
    setLive(false);
    setPaused(false);
  }, [route.page === 'task' ? route.key : '']);

  const move = useCallback((by: number) => {
    if (shown.length === 0) return;
    const i = selected ? shown.findIndex((t) => t.key === selected) : -1;
    const next = shown[Math.max(0, Math.min(shown.length - 1, i === -1 ? 0 : i + by))]!;
    setSelected(next.key);
    document.querySelector(`[data-key="${CSS.escape(next.key)}"]`)?.scrollIntoView({ block: 'nearest' });
  }, [shown, selected]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      if (typing(e)) {
        // Esc leaves the field and keeps what it holds (a search field would clear itself).
        if (e.key === 'Escape') {
          e.preventDefault();
          (e.target as HTMLElement).blur();
        }
        return;
      }
      if (actions.busy) return;
      if (help) {
        if (e.key === 'Escape' || e.key === '?') setHelp(false);
        return;
      }
      const verb = verbForKey(e.key);
      if (verb && current) {
        const host = view.hosts.find((h) => h.name === current.host);
        if (host?.canControl) actions.ask(verb, current);
        e.preventDefault();
        return;
      }
      switch (e.key) {
        case '/':
          if (route.page !== 'overview') go('#/');
          setTimeout(() => filterRef.current?.focus(), 0);
          break;
        case '?': setHelp(true); break;
        case 'e': setEvents((v) => !v); break;
        case 'j': case 'ArrowDown': if (route.page === 'overview') move(1); else return; break;
        case 'k': case 'ArrowUp': if (route.page === 'overview') move(-1); else return; break;
        case 'Enter': if (route.page === 'overview' && selected) go(taskHref(selected)); else return; break;
        case 'Escape': if (route.page === 'task') go('#/'); else setSelected(undefined); break;
        case 'l': if (route.page === 'task') setLive((v) => !v); else return; break;
        case ' ': if (route.page === 'task' && live) setPaused((p) => !p); else return; break;
        default: return;
      }
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [actions, help, current, view.hosts, route, move, selected, live]);

  const connected = view.hosts.filter((h) => h.connection === 'connected').length;
  const roles = [...new Set(view.hosts.map((h) => h.role))];
  return (
    <div className={`app ${events ? 'with-events' : ''}`}>
      <header className="top">
        <a href="#/" className="brand">jobctl</a>
        <span className="title">{view.title}</span>
        <span className={`conn ${view.live ? 'on' : 'off'}`} title={view.live ? 'live: changes are pushed' : 'reconnecting to jobctl web'}>{view.live ? '● live' : '○ reconnecting'}</span>
        <span className="hosts-summary">{connected}/{view.hosts.length} host{view.hosts.length === 1 ? '' : 's'}</span>
        {view.readOnly || (roles.length === 1 && roles[0] === 'viewer') ? <span className="badge c-gray" data-readonly>read-only</span> : null}
        <span className="spacer" />
        <button type="button" onClick={() => setEvents((v) => !v)} aria-pressed={events}>Events <kbd>e</kbd></button>
        <button type="button" className="keys-button" onClick={() => setHelp(true)}>Keys <kbd>?</kbd></button>
      </header>
      <main>
        {!view.ready ? <p className="empty">Connecting…</p> : route.page === 'overview' ? (
          <Overview tasks={shown} allTasks={view.tasks} hosts={view.hosts} fleet={fleet} now={now} filter={filter} setFilter={setFilter} selected={selected} onSelect={setSelected} filterRef={filterRef} />
        ) : (
          <TaskPage taskKey={route.key} task={view.tasks.get(route.key)} host={view.hosts.find((h) => h.name === view.tasks.get(route.key)?.host)} now={now} live={live} setLive={setLive} paused={paused} />
        )}
      </main>
      {events ? <EventsPane events={view.events} fleet={fleet} /> : null}
      {help ? <Help onClose={() => setHelp(false)} /> : null}
    </div>
  );
}

export function App() {
  return <ActionsProvider><Page /></ActionsProvider>;
}
