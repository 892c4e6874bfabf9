import { Cron } from 'croner';

/**
 * The one place that turns a schedule into a croner pattern, so validation, `jobctl next`
 * and the scheduler agree. A croner job made without a callback sets no timer.
 */
export function compileSchedule(expr: string, timezone?: string): Cron {
  const key = `${timezone ?? ''}\u0000${expr}`;
  let cron = compiled.get(key);
  if (!cron) {
    cron = new Cron(expr.trim(), { mode: '5-or-6-parts', ...(timezone ? { timezone } : {}) });
    // Reusable: without a callback croner keeps no run state. Bounded by clearing.
    if (compiled.size >= 5000) compiled.clear();
    compiled.set(key, cron);
  }
  return cron;
}

const compiled = new Map<string, Cron>();

/** The schedule's error, worded for users, or undefined when it is valid. */
export function scheduleError(expr: string, timezone?: string): string | undefined {
  const hint = 'use 5 fields (min hour day month weekday), 6 with seconds first, or @hourly/@daily/@weekly/@monthly/@yearly';
  const fields = expr.trim().split(/\s+/).filter(Boolean).length;
  // A wrong count gets our words alone, not croner's "five, six, or seven parts" before them.
  if (!expr.trim().startsWith('@') && fields !== 5 && fields !== 6) return `it has ${fields} field${fields === 1 ? '' : 's'}; ${hint}`;
  try {
    compileSchedule(expr, timezone);
    return undefined;
  } catch (e) {
    const msg = (e instanceof Error ? e.message : String(e)).replace(/^CronPattern:\s*/, '');
    return `${msg}; ${hint}`;
  }
}

let zones: readonly string[] | undefined;
/** IANA zone names known to this Node. */
export function timeZones(): readonly string[] {
  zones ??= Intl.supportedValuesOf('timeZone');
  return zones;
}

export function isValidTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
