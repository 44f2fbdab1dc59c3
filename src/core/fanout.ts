import { Observable, type Subscriber } from 'rxjs';

export interface Fanout<T> {
  readonly observable: Observable<T>;
  /** Completes with the fan-out, without receiving its values (no cost per value). */
  readonly end$: Observable<never>;
  next(value: T): void;
  complete(): void;
}

/**
 * A minimal multicast for the hot path: one loop over the subscribers per value (rxjs's Subject allocates a
 * closure and an iterator per `next` in its CommonJS build). Subscribers added or removed while a value is
 * delivered take effect from the next value (copy on write); one that comes after the end completes at once. It
 * never errors: whoever feeds it errors on its own (the graph's events$, which unsubscribes everything fed from
 * here).
 */
export function createFanout<T>(): Fanout<T> {
  let subscribers: ReadonlyArray<Subscriber<T>> = [];
  let endSubscribers: ReadonlyArray<Subscriber<never>> = [];
  let stopped = false;
  const attach = <V>(get: () => ReadonlyArray<Subscriber<V>>, set: (list: ReadonlyArray<Subscriber<V>>) => void): Observable<V> =>
    new Observable<V>((subscriber) => {
      if (stopped) {
        subscriber.complete();
        return;
      }
      set([...get(), subscriber]);
      return () => set(get().filter((s) => s !== subscriber));
    });
  const observable = attach(
    () => subscribers,
    (list) => (subscribers = list),
  );
  const end$ = attach(
    () => endSubscribers,
    (list) => (endSubscribers = list),
  );
  return {
    observable,
    end$,
    next(value) {
      if (stopped) return;
      const list = subscribers;
      for (let i = 0; i < list.length; i++) list[i].next(value);
    },
    complete() {
      if (stopped) return;
      stopped = true;
      const list = [...subscribers, ...endSubscribers];
      subscribers = [];
      endSubscribers = [];
      for (const s of list) s.complete();
    },
  };
}
