import { z } from 'zod';
import type { LockSettings } from '../../shared/types.js';

/** `lock:` in jobctl.yaml: where once-per-fleet firings are claimed. */
export const lockSchema = z.strictObject({
  redis: z
    .string({ error: 'must be a redis:// URL, e.g. redis://127.0.0.1:6379/0' })
    .regex(/^(rediss?:\/\/\S+|\$\{[A-Za-z_][A-Za-z0-9_]*\})$/, { error: 'must be a redis:// or rediss:// URL (or ${ENV_VAR}), e.g. redis://127.0.0.1:6379/0' })
    .meta({ description: 'Redis URL for SET NX claims; ${ENV_VAR} allowed' }),
});
export type RawLock = z.infer<typeof lockSchema>;

export function normalizeLock(raw: RawLock): LockSettings {
  return { redis: raw.redis };
}
