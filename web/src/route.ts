import { useEffect, useState } from 'react';

/** Where the page is: the overview, or one task (`#/task/host:name`). */
export type Route = { page: 'overview' } | { page: 'task'; key: string };

export function taskHref(key: string): string {
  return `#/task/${encodeURIComponent(key)}`;
}

function parse(hash: string): Route {
  const m = /^#\/task\/(.+)$/.exec(hash);
  return m ? { page: 'task', key: decodeURIComponent(m[1]!) } : { page: 'overview' };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parse(location.hash));
  useEffect(() => {
    const on = () => setRoute(parse(location.hash));
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}

export function go(href: string): void {
  location.hash = href.replace(/^#/, '');
}
