/** The jobctl version (the socket protocol's revision is `PROTOCOL` in shared/protocol.ts). */
export const VERSION = '0.1.0';
