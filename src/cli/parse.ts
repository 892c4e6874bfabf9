import { CliError, EXIT } from './output.js';

/** A whole number option in [1, max]; a usage error otherwise. */
export function parseCount(value: string, flag: string, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new CliError(`${flag}: expected a whole number from 1 to ${max}, got "${value}"`, EXIT.USAGE);
  return n;
}
