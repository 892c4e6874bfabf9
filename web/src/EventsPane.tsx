import type { EventView } from '../../src/web/wire.js';
import { clock } from './format.js';
import { taskHref } from './route.js';

/** State changes and the daemons' own events (alerts, run outcomes), newest first. */
export function EventsPane({ events, fleet }: { events: EventView[]; fleet: boolean }) {
  const rows = events.slice(-200).reverse();
  return (
    <aside className="events" aria-label="events">
      <h3>Events</h3>
      {rows.length === 0 ? <p className="empty">Nothing yet.</p> : null}
      <ol>
        {rows.map((e) => (
          <li key={e.id} className={`ev-${e.level}`}>
            <time>{clock(e.at).slice(11)}</time>
            {fleet ? <span className="ev-host">{e.host}</span> : null}
            {/* A message that starts with its task's name links that name. */}
            {e.task && e.message.startsWith(e.task) ? (
              <span className="ev-msg"><a href={taskHref(`${e.host}:${e.task}`)}>{e.task}</a>{e.message.slice(e.task.length)}</span>
            ) : (
              <span className="ev-msg">{e.task ? <><a href={taskHref(`${e.host}:${e.task}`)}>{e.task}</a>: </> : null}{e.message}</span>
            )}
          </li>
        ))}
      </ol>
    </aside>
  );
}
