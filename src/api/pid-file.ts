import fs from 'node:fs';
import { parsePidRecord, type PidRecord } from '../shared/pid-record.js';

/** Reading the daemon's pid file (shared/pid-record.ts) and this process's pid namespace. */

export function readPidRecord(file: string): PidRecord | undefined {
  try {
    return parsePidRecord(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** This process's pid namespace, or undefined where /proc has none. */
export function ownPidNamespace(): string | undefined {
  try {
    return fs.readlinkSync('/proc/self/ns/pid');
  } catch {
    return undefined;
  }
}

/** Whether a record's pid means something here (same namespace, or unknown: assume so). */
export function sameNamespace(r: PidRecord): boolean {
  const own = ownPidNamespace();
  return r.pidns === undefined || own === undefined || r.pidns === own;
}
