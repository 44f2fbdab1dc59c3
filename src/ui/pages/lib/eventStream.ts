import type { ControlEvent, TransientEvent } from '../../../control/control';
import { currentToken } from './api';

/**
 * Follows the engine's `/events` stream with fetch (EventSource cannot send the bearer token). On a drop it
 * reconnects with `Last-Event-ID` set to the last event it handled, so it catches up on what it missed, and it
 * ignores an event it has already seen: no gap, no duplicate. Backoff 0.5 s doubling to 5 s.
 */
export interface StreamHandlers {
  event(event: ControlEvent): void;
  transient(event: TransientEvent): void;
  /** The engine no longer holds every event since the last one seen: reload the snapshot. */
  reset(): void;
  state(state: StreamState): void;
}

export type StreamState = 'connecting' | 'open' | 'reconnecting' | 'unauthorized';

export interface EventFollower {
  /** The last event id handled. */
  lastSeq(): number;
  close(): void;
}

export function followEvents(handlers: StreamHandlers, fromSeq = 0): EventFollower {
  let lastSeq = fromSeq;
  let closed = false;
  let abort = new AbortController();
  let delay = 500;

  const handleFrame = (frame: string): void => {
    let id: string | undefined;
    let kind = 'message';
    const data: string[] = [];
    for (const line of frame.split('\n')) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'id') id = value;
      else if (field === 'event') kind = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length === 0) return;
    const payload = JSON.parse(data.join('\n')) as unknown;
    if (id !== undefined) {
      const seq = Number(id);
      if (!Number.isFinite(seq) || seq <= lastSeq) return;
      lastSeq = seq;
      handlers.event(payload as ControlEvent);
    } else if (kind === 'forming') {
      handlers.transient(payload as TransientEvent);
    } else if (kind === 'reset') {
      handlers.reset();
    }
  };

  const run = async (): Promise<void> => {
    handlers.state('connecting');
    while (!closed) {
      const token = currentToken();
      try {
        if (token === null) throw new Error('no token');
        const response = await fetch('/events', {
          headers: { authorization: `Bearer ${token}`, 'last-event-id': String(lastSeq) },
          cache: 'no-store',
          signal: abort.signal,
        });
        if (response.status === 401) {
          handlers.state('unauthorized');
        } else if (response.ok && response.body !== null) {
          handlers.state('open');
          delay = 500;
          const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
          let buffer = '';
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            buffer += value.replace(/\r\n?/g, '\n');
            for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
              handleFrame(buffer.slice(0, end));
              buffer = buffer.slice(end + 2);
            }
          }
        }
      } catch {
        // a refused or dropped connection: wait and try again below
      }
      if (closed) break;
      handlers.state('reconnecting');
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(5000, delay * 2);
    }
  };
  void run();

  return {
    lastSeq: () => lastSeq,
    close: () => {
      closed = true;
      abort.abort();
      abort = new AbortController();
    },
  };
}
