import { readConfig, type ConfigReadJob } from './read-config.js';

/**
 * Child-process entry (`fork` with structured-clone IPC): one read of the configuration
 * (config/read-config.ts), sent back as plain data; then the process exits, and with it zod,
 * yaml, the pipeline and every byte they allocated.
 */
/** Started ahead of a read (a file changed) and given none: go. */
const UNUSED_EXIT_MS = 30_000;
const idle = setTimeout(() => process.exit(0), UNUSED_EXIT_MS);
// The daemon went away before asking.
process.once('disconnect', () => process.exit(0));

process.once('message', (job: ConfigReadJob) => {
  clearTimeout(idle);
  let reply: unknown;
  try {
    reply = { ok: true, read: readConfig(job) };
  } catch (e) {
    reply = { ok: false, message: e instanceof Error ? (e.stack ?? e.message) : String(e) };
  }
  process.send!(reply, () => process.disconnect());
});
