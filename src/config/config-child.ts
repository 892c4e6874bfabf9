import { readConfig, type ConfigReadJob } from './read-config.js';

/**
 * Child-process entry (`fork` with structured-clone IPC): one read of the configuration
 * (config/read-config.ts), sent back as plain data; then the process exits, and with it zod,
 * yaml, the pipeline and every byte they allocated.
 */
process.once('message', (job: ConfigReadJob) => {
  let reply: unknown;
  try {
    reply = { ok: true, read: readConfig(job) };
  } catch (e) {
    reply = { ok: false, message: e instanceof Error ? (e.stack ?? e.message) : String(e) };
  }
  process.send!(reply, () => process.disconnect());
});
