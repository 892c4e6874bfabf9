import { jitterDelay, nextRunAt, type ScheduleRef } from '../core/schedule.js';
import { realClock, type Clock } from './clock.js';

export interface ScheduleEntry extends ScheduleRef {
  name: string;
  jitterMs: number;
}

/** A firing: `scheduledAt` is the cron time; it fires at `scheduledAt + jitter`. */
export type FireHandler = (name: string, scheduledAt: number, firedAt: number) => void;

interface Slot {
  entry: ScheduleEntry;
  scheduledAt: number;
  fireAt: number;
  /** Bumped on every (re)schedule: heap items of an older version are stale. */
  version: number;
}

interface HeapItem {
  fireAt: number;
  name: string;
  version: number;
}

/**
 * One timer for every cron task. A min-heap holds each task's next firing; the timer is
 * armed for the earliest from absolute times, so nothing drifts over hours. A long wait
 * is cut into pieces of at most MAX_WAIT so a wall-clock jump (NTP, suspend) is noticed.
 */
export class Scheduler {
  static readonly MAX_WAIT = 30_000;
  private readonly slots = new Map<string, Slot>();
  private heap: HeapItem[] = [];
  private timer: unknown;
  private armedFor = Infinity;
  private running = false;

  constructor(
    private readonly onFire: FireHandler,
    private readonly clock: Clock = realClock,
    private readonly random: () => number = Math.random,
  ) {}

  /** Add or replace a task's schedule; its next firing is computed from now. */
  set(entry: ScheduleEntry, after?: number): void {
    const prev = this.slots.get(entry.name);
    const version = (prev?.version ?? 0) + 1;
    const from = after ?? this.clock.now();
    const scheduledAt = nextRunAt(entry, from);
    if (scheduledAt === undefined) {
      this.slots.delete(entry.name);
      return;
    }
    const slot: Slot = { entry, scheduledAt, fireAt: scheduledAt + jitterDelay(entry.jitterMs, this.random), version };
    this.slots.set(entry.name, slot);
    this.push({ fireAt: slot.fireAt, name: entry.name, version });
    this.arm();
  }

  delete(name: string): void {
    this.slots.delete(name);
  }

  /** The next scheduled (cron) time of a task. */
  next(name: string): number | undefined {
    return this.slots.get(name)?.scheduledAt;
  }

  get size(): number {
    return this.slots.size;
  }

  start(): void {
    this.running = true;
    this.arm();
  }

  /** Safe to call twice. */
  stop(): void {
    this.running = false;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = Infinity;
  }

  private arm(): void {
    if (!this.running) return;
    // Drop stale heap heads.
    while (this.heap.length && !this.isCurrent(this.heap[0]!)) this.pop();
    const head = this.heap[0];
    if (!head) return;
    const target = Math.min(head.fireAt, this.clock.now() + Scheduler.MAX_WAIT);
    if (this.timer !== undefined && target >= this.armedFor) return;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.armedFor = target;
    this.timer = this.clock.setTimeout(() => this.tick(), target - this.clock.now());
  }

  private isCurrent(item: HeapItem): boolean {
    const slot = this.slots.get(item.name);
    return slot !== undefined && slot.version === item.version;
  }

  private tick(): void {
    this.timer = undefined;
    this.armedFor = Infinity;
    const now = this.clock.now();
    const due: Slot[] = [];
    while (this.heap.length && this.heap[0]!.fireAt <= now) {
      const item = this.pop()!;
      if (!this.isCurrent(item)) continue;
      due.push(this.slots.get(item.name)!);
    }
    // Reschedule first, so a handler that throws cannot stop the clock.
    for (const slot of due) {
      const from = Math.max(slot.scheduledAt, now);
      const scheduledAt = nextRunAt(slot.entry, from);
      if (scheduledAt === undefined) this.slots.delete(slot.entry.name);
      else {
        const next: Slot = { ...slot, scheduledAt, fireAt: scheduledAt + jitterDelay(slot.entry.jitterMs, this.random), version: slot.version + 1 };
        this.slots.set(slot.entry.name, next);
        this.push({ fireAt: next.fireAt, name: next.entry.name, version: next.version });
      }
    }
    for (const slot of due) {
      try {
        this.onFire(slot.entry.name, slot.scheduledAt, now);
      } catch {
        /* the handler reports its own errors */
      }
    }
    this.arm();
  }

  // ---- binary min-heap on fireAt ----
  private push(item: HeapItem): void {
    const h = this.heap;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (h[parent]!.fireAt <= item.fireAt) break;
      h[i] = h[parent]!;
      i = parent;
    }
    h[i] = item;
  }

  private pop(): HeapItem | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0]!;
    const last = h.pop()!;
    const n = h.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        let min = last.fireAt;
        if (l < n && h[l]!.fireAt < min) {
          m = l;
          min = h[l]!.fireAt;
        }
        if (r < n && h[r]!.fireAt < min) m = r;
        if (m === i) break;
        h[i] = h[m]!;
        i = m;
      }
      h[i] = last;
    }
    return top;
  }
}
