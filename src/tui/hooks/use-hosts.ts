import { useEffect, useState } from 'react';
import type { HostConnection, TuiBackend } from '../backend.js';

/** A fleet backend's hosts, re-read when they change; undefined for one daemon. */
export function useHosts(backend: TuiBackend): HostConnection[] | undefined {
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
