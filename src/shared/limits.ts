/** Most instances a service task may run (config `instances`, `jobctl scale`, a stored override). */
export const MAX_INSTANCES = 1000;

/** A request line longer than this is refused. */
export const MAX_LINE_BYTES = 1024 * 1024;
