/**
 * Durations and sizes as users write them in task files.
 * Durations: `500ms`, `10s`, `5m`, `1h30m`, `1d`, or a plain number of seconds.
 * Sizes: `512KB`, `100MB`, `1GB` (powers of 1024), `B` or a plain number of bytes.
 */

const DURATION_PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;
const DURATION_WHOLE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export const DURATION_HINT = 'use 500ms, 10s, 5m, 1h30m or a number of seconds';
export const SIZE_HINT = 'use 512KB, 100MB, 1GB or a number of bytes';

/** Milliseconds, or undefined when the text is not a duration. */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.round(value * 1000) : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim().toLowerCase();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  if (!DURATION_WHOLE.test(text)) return undefined;
  let ms = 0;
  for (const m of text.matchAll(DURATION_PART)) ms += Number(m[1]) * (UNIT_MS[m[2]!] ?? 0);
  return Math.round(ms);
}

const SIZE_RE = /^(\d+(?:\.\d+)?)\s*(b|kb|k|kib|mb|m|mib|gb|g|gib)?$/;
const SIZE_UNIT: Record<string, number> = {
  b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3,
};

/** Bytes, or undefined when the text is not a size. */
export function parseSize(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.round(value) : undefined;
  if (typeof value !== 'string') return undefined;
  const m = SIZE_RE.exec(value.trim().toLowerCase());
  if (!m) return undefined;
  return Math.round(Number(m[1]) * (SIZE_UNIT[m[2] ?? 'b'] ?? 1));
}
