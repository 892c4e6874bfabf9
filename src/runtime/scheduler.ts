import type { MissedFirings } from '../core/cron-policy.js';
import { firingsBetween, jitterDelay, nextRunAt, type ScheduleRef } from '../core/schedule.js';
import { realClock, type Clock } from './clock.js';

export interface ScheduleEntry extends ScheduleRef {
  name: string;
  jitterMs: number;
}

/**
 * What one tick hands a registration: the firings that are on time (normally one; `scheduledAt`
 * is the cron time, it fires at `scheduledAt + jitter`) and those it could not handle in time
 * (the daemon was frozen, the wall clock jumped), for the task's catch-up policy.
 */
export interface Firing {
  onTime: number[];
  missed: MissedFirings;
  firedAt: number;
}

export type FireHandler = (firing: Firing) => void;

/** A task's place in the scheduler; only its owner holds it. */
export interface Registration {
  /** The next scheduled (cron) time, while registered. */
  next(): number | undefined;
  /** Stop firing. Safe to call twice. */
  unregister(): void;
}

export interface SchedulerOptions {
  clock?: Clock;
  random?: () => number;
  /** A firing handled later than this after its time counts as missed. @default 5000 */
  lateMs?: number;
  /**
   * The firings due at one tick are handed out in one pass, but after this much time of
   * handlers the rest waits for the next turn of the event loop, so the socket and the
   * processes' output are served meanwhile. @default 20
   */
  sliceMs?: number;
}

interface Slot {
  entry: ScheduleEntry;
  onFire: FireHandler;
  scheduledAt: number;
  fireAt: number;
  /** The generation of the slot's one live heap item. */
  generation: number;
}

interface HeapItem {
  fireAt: number;
  slot: number;
  generation: number;
}

/**
 * One timer for every cron task. A min-heap holds each registration's next firing; the timer
 * is armed for the earliest from absolute times, so nothing drifts over hours. A long wait is
 * cut into pieces of at most MAX_WAIT so a wall-clock jump (NTP, suspend) is noticed.
 *
 * Every heap item carries a generation from one counter that only grows: a slot knows the
 * generation of its one live item, so an item left by an earlier registration or an earlier
 * schedule is never taken for a current one (a stop and start within one interval cannot fire
 * an instant twice).
 */
export class Scheduler {
  static readonly MAX_WAIT = 30_000;
  private readonly slots = new Map<number, Slot>();
  private heap: HeapItem[] = [];
  private timer: unknown;
  private armedFor = Infinity;
  private running = false;
  private generation = 0;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly lateMs: number;
  private readonly sliceMs: number;
  /** Firings due and not handed out yet (a tick's pass that yielded to the loop). */
  private backlog: Array<{ slot: Slot; firing: Firing }> = [];
  private draining = false;

  constructor(opts: SchedulerOptions = {}) {
    this.clock = opts.clock ?? realClock;
    this.random = opts.random ?? Math.random;
    this.lateMs = opts.lateMs ?? 5000;
    this.sliceMs = opts.sliceMs ?? 20;
  }

  /**
   * Fire `onFire` at each firing of `entry` from now on (strictly after `after`, default now).
   * A schedule without a next firing registers nothing.
   */
  register(entry: ScheduleEntry, onFire: FireHandler, after?: number): Registration {
    const id = ++this.generation;
    const scheduledAt = nextRunAt(entry, after ?? this.clock.now());
    if (scheduledAt !== undefined) {
      const slot: Slot = { entry, onFire, scheduledAt, fireAt: scheduledAt + jitterDelay(entry.jitterMs, this.random), generation: ++this.generation };
      this.slots.set(id, slot);
      this.push({ fireAt: slot.fireAt, slot: id, generation: slot.generation });
      this.arm();
    }
    return {
      next: () => this.slots.get(id)?.scheduledAt,
      unregister: () => {
        this.slots.delete(id);
      },
    };
  }

  /** Registrations that will fire. */
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
    this.backlog = [];
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
    return this.slots.get(item.slot)?.generation === item.generation;
  }

  private tick(): void {
    this.timer = undefined;
    this.armedFor = Infinity;
    const now = this.clock.now();
    const due: Array<{ slot: Slot; firing: Firing }> = [];
    while (this.heap.length && this.heap[0]!.fireAt <= now) {
      const item = this.pop()!;
      if (!this.isCurrent(item)) continue;
      const slot = this.slots.get(item.slot)!;
      const { firing, last } = this.collect(slot, now);
      due.push({ slot, firing });
      // Reschedule first, so a handler that throws cannot stop the clock.
      const scheduledAt = nextRunAt(slot.entry, Math.max(last, now));
      if (scheduledAt === undefined) this.slots.delete(item.slot);
      else {
        const next: Slot = { ...slot, scheduledAt, fireAt: scheduledAt + jitterDelay(slot.entry.jitterMs, this.random), generation: ++this.generation };
        this.slots.set(item.slot, next);
        this.push({ fireAt: next.fireAt, slot: item.slot, generation: next.generation });
      }
    }
    this.backlog.push(...due);
    this.drain();
    this.arm();
  }

  /** Hand out due firings for at most sliceMs, then yield to the loop and go on. */
  private drain(): void {
    if (this.draining) return;
    const t0 = performance.now();
    let i = 0;
    try {
      this.draining = true;
      while (i < this.backlog.length) {
        const { slot, firing } = this.backlog[i++]!;
        try {
          slot.onFire(firing);
        } catch {
          /* the handler reports its own errors */
        }
        if (performance.now() - t0 > this.sliceMs && i < this.backlog.length) break;
      }
    } finally {
      this.backlog = this.backlog.slice(i);
      this.draining = false;
    }
    if (this.backlog.length) setImmediate(() => this.drain());
  }

  /**
   * Every firing of the slot from its scheduled time up to now: those within `lateMs` are on
   * time, older ones are missed. Returns the newest firing seen, to schedule after it.
   */
  private collect(slot: Slot, now: number): { firing: Firing; last: number } {
    const later = firingsBetween(slot.entry, slot.scheduledAt, now, 10_000, 100_000);
    const all = [{ at: slot.scheduledAt, fireAt: slot.fireAt }, ...later.times.map((at) => ({ at, fireAt: at }))];
    const onTime = all.filter((f) => now - f.fireAt <= this.lateMs).map((f) => f.at);
    const missedTimes = all.filter((f) => now - f.fireAt > this.lateMs).map((f) => f.at);
    // Firings beyond the 10 000 listed are missed too (counted, not listed).
    const missedTotal = missedTimes.length + (later.total - later.times.length);
    const newestMissed = later.total > later.times.length ? later.last : missedTimes.at(-1);
    const missed: MissedFirings = { times: missedTimes.slice(0, 1000), total: missedTotal, ...(newestMissed !== undefined ? { last: newestMissed } : {}) };
    return { firing: { onTime, missed, firedAt: now }, last: later.last ?? slot.scheduledAt };
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
