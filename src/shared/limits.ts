/** Most instances a daemon task may run (config `instances`, `jobctl scale`, a stored override). */
export const MAX_INSTANCES = 1000;
