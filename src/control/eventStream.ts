import type { FastifyReply, FastifyRequest } from 'fastify';
import { Subscription } from 'rxjs';
import type { ControlEvent, EngineControl, TransientEvent } from './control';

/**
 * The `/events` Server-Sent Events stream. Each retained control event goes out with `id: <seq>`, so a client
 * that lost its connection reconnects with `Last-Event-ID` and gets exactly what it missed, once. Transient
 * events (the bar still forming) carry no id: they are never replayed, the next one supersedes them.
 *
 * When the client's last id is older than the oldest event still retained, a `reset` event says so first:
 * the client then reloads its snapshot (/status) instead of showing a silent gap.
 */
export interface EventStreams {
  size(): number;
  add(end: () => void): void;
  delete(end: () => void): void;
  /** Ends every open stream (server shutdown). */
  endAll(): void;
}

export function createEventStreams(): EventStreams {
  const ends = new Set<() => void>();
  return {
    size: () => ends.size,
    add: (end) => void ends.add(end),
    delete: (end) => void ends.delete(end),
    endAll: () => {
      for (const end of [...ends]) end();
    },
  };
}

export interface EventStreamOptions {
  /** Replay retained events after this id first (0: all retained). Undefined: live events only. */
  readonly afterSeq: number | undefined;
  readonly heartbeatMs: number;
  readonly maxBufferedBytes: number;
}

export function openEventStream(control: EngineControl, streams: EventStreams, request: FastifyRequest, reply: FastifyReply, options: EventStreamOptions): void {
  reply.hijack();
  const res = reply.raw;
  const set = Object.entries(reply.getHeaders()).filter((entry): entry is [string, string | number | string[]] => entry[1] !== undefined);
  res.writeHead(200, {
    ...Object.fromEntries(set),
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  if (request.method === 'HEAD') {
    res.end();
    return;
  }
  // The server's idle timeout is for requests; a stream is idle by nature (the heartbeat keeps proxies awake).
  request.raw.socket.setTimeout(0);
  res.write('retry: 2000\n\n');

  const subscription = new Subscription();
  const heartbeat = setInterval(() => res.write(': ping\n\n'), options.heartbeatMs);
  const release = (): void => {
    clearInterval(heartbeat);
    subscription.unsubscribe();
    streams.delete(end);
  };
  const end = (): void => {
    release();
    res.end();
  };
  /** Bytes of the history replayed on connect: bounded by what the engine retains, and never a reason to cut. */
  let historyBytes = 0;
  const send = (frame: string): void => {
    // A reader that stopped reading would make us buffer without bound: cut it off; it can resume by id. The
    // history it asked for is written at once (a page opened late in a busy day gets megabytes of it), so the
    // cap counts beyond it.
    if (res.writableLength > options.maxBufferedBytes + historyBytes) {
      release();
      res.destroy();
      return;
    }
    res.write(frame);
  };
  const frameOf = (event: ControlEvent): string => `id: ${event.seq}\nevent: ${event.kind}\ndata: ${JSON.stringify(event)}\n\n`;
  const write = (event: ControlEvent): void => send(frameOf(event));
  const writeTransient = (event: TransientEvent): void => send(`event: ${event.kind}\ndata: ${JSON.stringify(event)}\n\n`);

  streams.add(end);
  res.on('close', release);
  // Replay and subscribe in the same tick so nothing published in between is missed or doubled.
  if (options.afterSeq !== undefined) {
    const missed = control.recentEvents(options.afterSeq);
    const first = missed[0]?.seq;
    if (options.afterSeq > 0 && first !== undefined && first > options.afterSeq + 1) {
      send(`event: reset\ndata: ${JSON.stringify({ kind: 'reset', afterSeq: options.afterSeq, firstRetained: first })}\n\n`);
    }
    for (const event of missed) {
      const frame = frameOf(event);
      historyBytes += Buffer.byteLength(frame);
      res.write(frame);
    }
  }
  // Transient events are not replayed: a client (re)connecting gets the bars forming now.
  for (const bar of control.status().forming) writeTransient({ kind: 'forming', bar });
  subscription.add(control.events$.subscribe({ next: write, complete: end, error: end }));
  if (control.transient$ !== undefined) subscription.add(control.transient$.subscribe({ next: writeTransient }));
}
