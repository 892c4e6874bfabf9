import type { AuditEntry } from '../shared/protocol.js';
import { appendJsonLines, readJsonLines, rewriteJsonLines, truncateTorn } from './jsonl.js';

/** The audit trail is kept under this size; past it, the older half goes. */
export const AUDIT_MAX_BYTES = 4 * 1024 * 1024;

function isEntry(v: unknown): v is AuditEntry {
  const e = v as Partial<AuditEntry> | null;
  return typeof e === 'object' && e !== null && typeof e.at === 'number' && typeof e.operator === 'string' && typeof e.method === 'string';
}

/**
 * `state/audit.jsonl`: one line per control call, appended as it ends. Bounded: when the file
 * passes `maxBytes`, it is rewritten with its newer half (whole lines), as the run history is.
 * A failed write is reported to `onWarning` and never fails the call it records.
 */
export class AuditTrail {
  private size: number | undefined;
  private appendFailed = false;

  constructor(private readonly file: string, private readonly opts: { maxBytes?: number; onWarning?: (message: string) => void } = {}) {}

  record(entry: AuditEntry): void {
    try {
      if (this.size === undefined) {
        const read = readJsonLines(this.file, isEntry);
        truncateTorn(this.file, read);
        this.size = read.completeBytes;
      }
      this.size += appendJsonLines(this.file, [entry], this.appendFailed);
      this.appendFailed = false;
      if (this.size > (this.opts.maxBytes ?? AUDIT_MAX_BYTES)) this.compact();
    } catch (e) {
      this.appendFailed = true;
      this.size = undefined;
      this.opts.onWarning?.(`audit trail ${this.file}: ${(e as Error).message}`);
    }
  }

  /** The newest `limit` entries, oldest first. */
  tail(limit = 50): AuditEntry[] {
    return readJsonLines(this.file, isEntry).items.slice(-limit);
  }

  private compact(): void {
    const { items } = readJsonLines(this.file, isEntry);
    const keep: AuditEntry[] = [];
    let bytes = 0;
    const budget = (this.opts.maxBytes ?? AUDIT_MAX_BYTES) / 2;
    for (let i = items.length - 1; i >= 0; i--) {
      bytes += Buffer.byteLength(JSON.stringify(items[i])) + 1;
      if (bytes > budget) break;
      keep.push(items[i]!);
    }
    this.size = rewriteJsonLines(this.file, keep.reverse());
  }
}

