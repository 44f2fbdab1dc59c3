/**
 * A fixed-capacity FIFO that overwrites its oldest entry when full: the control surfaces keep "the last N"
 * orders, fills and events without their memory growing with the length of a run.
 */
export interface RingBuffer<T> {
  readonly capacity: number;
  /** Entries currently held (≤ capacity). */
  readonly size: () => number;
  /** How many entries were ever pushed, including those since overwritten. */
  readonly total: () => number;
  push(item: T): void;
  /** Oldest first. A fresh array each call: callers may keep it. */
  toArray(): T[];
}

export function createRingBuffer<T>(capacity: number): RingBuffer<T> {
  if (!Number.isInteger(capacity) || capacity < 1) {
    throw new RangeError(`ring buffer capacity must be an integer ≥ 1, got ${capacity}`);
  }
  const slots: T[] = [];
  let next = 0;
  let pushed = 0;
  return {
    capacity,
    size: () => slots.length,
    total: () => pushed,
    push(item: T): void {
      if (slots.length < capacity) slots.push(item);
      else slots[next] = item;
      next = (next + 1) % capacity;
      pushed += 1;
    },
    toArray(): T[] {
      return slots.length < capacity ? slots.slice() : [...slots.slice(next), ...slots.slice(0, next)];
    },
  };
}
