import { connect, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { Subject } from 'rxjs';
import { ConfigError } from '../core/errors';
import type { ExecutionEvent, Position } from '../core/types';
import { createControlState, type ControlState } from './control';
import type { TradingHalts } from '../core/halts';
import { makeFill, makeOrderEvent, makePosition } from '../../test/support/controlFixtures';
import { startHttpApi, type HttpApi, type HttpApiOptions } from './httpApi';
import { eventually, until } from '../../test/support/until';

const TOKEN = 'test-token-0123456789';
const AUTH = { authorization: `Bearer ${TOKEN}` };

interface Harness {
  readonly control: ControlState;
  readonly executions: Subject<ExecutionEvent>;
  readonly positions: Subject<Position>;
  /** Every halts value the order path would see. */
  readonly halts: TradingHalts[];
  readonly api: HttpApi;
}

let harness: Harness | undefined;

async function start(options: Partial<HttpApiOptions> = {}): Promise<Harness> {
  const control = createControlState({
    mode: 'live',
    accountCurrency: 'USD',
    strategyIds: ['gotobi-a', 'gotobi-b'],
    initialConnection: 'connected',
  });
  const halts: TradingHalts[] = [];
  control.halts$.subscribe((h) => halts.push(h));
  const executions = new Subject<ExecutionEvent>();
  const positions = new Subject<Position>();
  control.attach({ executions$: executions, positions$: positions });
  const api = await startHttpApi(control, { port: 0, token: TOKEN, logLevel: 'silent', dashboard: false, ...options });
  harness = { control, executions, positions, halts, api };
  return harness;
}

afterEach(async () => {
  await harness?.api.close();
  harness?.control.dispose();
  harness = undefined;
});

/** Calls the API with the token unless `init.headers` says otherwise. */
async function call(path: string, init: RequestInit = {}): Promise<{ status: number; body: unknown; headers: Headers }> {
  if (harness === undefined) throw new Error('start() first');
  const response = await fetch(harness.api.url + path, { ...init, headers: init.headers ?? AUTH });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

/** A JSON POST, with the token unless `token` is null. */
function postJson(body: unknown, token: string | null = TOKEN): RequestInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token === null ? {} : { authorization: `Bearer ${token}` }) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  };
}

interface SseFrame {
  readonly id?: string;
  readonly event?: string;
  readonly data: unknown;
}

/** Reads Server-Sent Events frames off a fetch response, keeping partial frames between calls. */
function sseReader(response: Response): { next(count: number): Promise<SseFrame[]>; rest(): Promise<string> } {
  if (response.body === null) throw new Error('no body');
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  return {
    async next(count: number): Promise<SseFrame[]> {
      const frames: SseFrame[] = [];
      while (frames.length < count) {
        const end = buffer.indexOf('\n\n');
        if (end === -1) {
          const { value, done } = await reader.read();
          if (done) throw new Error(`stream ended after ${frames.length} of ${count} frames`);
          buffer += decoder.decode(value, { stream: true });
          continue;
        }
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const fields = new Map(block.split('\n').filter((l) => !l.startsWith(':')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]));
        const data = fields.get('data');
        if (data !== undefined) frames.push({ id: fields.get('id'), event: fields.get('event'), data: JSON.parse(data) as unknown });
      }
      return frames;
    },
    async rest(): Promise<string> {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return buffer;
        buffer += decoder.decode(value, { stream: true });
      }
    },
  };
}

describe('startHttpApi', () => {
  it('serves status, positions, PnL, orders and fills as JSON', async () => {
    const { executions, positions } = await start();
    positions.next(makePosition({ unrealizedPnl: 1500, unrealizedPnlAccount: 10 }));
    for (let i = 1; i <= 3; i += 1) executions.next(makeOrderEvent({ order: { ...makeOrderEvent().order, id: `gotobi-a-${i}` } }));
    executions.next(makeFill());

    const health = await call('/health');
    expect(health).toMatchObject({ status: 200, body: { ok: true } });
    expect(health.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect((await call('/status')).body).toMatchObject({ mode: 'live', connection: 'connected', killSwitch: { on: false }, halts: {}, strategies: ['gotobi-a', 'gotobi-b'] });
    expect((await call('/positions')).body).toEqual({ positions: [makePosition({ unrealizedPnl: 1500, unrealizedPnlAccount: 10 })] });
    expect((await call('/pnl')).body).toMatchObject({ accountCurrency: 'USD', unrealizedAccount: 10, totalAccount: 10 });
    const orders = (await call('/orders?limit=2')).body as { orders: { order: { id: string } }[] };
    expect(orders.orders.map((e) => e.order.id)).toEqual(['gotobi-a-2', 'gotobi-a-3']);
    expect((await call('/fills/')).body).toEqual({ fills: [makeFill()] });
  });

  it('requires the bearer token on every route but /health', async () => {
    await start({ token: TOKEN });
    expect((await call('/health', { headers: {} })).status).toBe(200);
    const missing = await call('/status', { headers: {} });
    expect(missing).toMatchObject({ status: 401, body: { error: { code: 'UNAUTHORIZED' } } });
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');
    expect((await call('/status', { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await call('/kill', postJson({ on: true, reason: 'x' }, null))).status).toBe(401);
    expect((await call('/status', { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    expect(harness?.control.status().killSwitch.on).toBe(false);
  });

  it('refuses to listen beyond loopback without a token, and refuses bad options', async () => {
    const control = createControlState({ mode: 'live', accountCurrency: 'USD' });
    await expect(startHttpApi(control, { host: '0.0.0.0', port: 0 })).rejects.toThrow(
      new ConfigError('host "0.0.0.0" is not loopback: set a bearer token', 'HTTP API options'),
    );
    await expect(startHttpApi(control, { port: 70_000 })).rejects.toThrow(/^HTTP API options: port: /);
  });

  it('turns the kill switch on and off, visible in /status and to the order path', async () => {
    const { halts } = await start({ token: TOKEN });

    const on = await call('/kill', postJson({ on: true, reason: 'news spike' }, TOKEN));
    expect(on).toMatchObject({ status: 200, body: { killSwitch: { on: true, reason: 'news spike' } } });
    const status = await call('/status', { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(status.body).toMatchObject({ killSwitch: { on: true, reason: 'news spike' } });
    const off = await call('/kill', postJson({ on: false }, TOKEN));
    expect(off).toMatchObject({ status: 200, body: { killSwitch: { on: false, reason: 'resumed through the HTTP API' } } });
    expect(halts.map((h) => h.killAll)).toEqual([false, true, false]);
  });

  it('answers a bad request with 400 naming the field and the rule', async () => {
    await start();
    const cases: readonly [RequestInit, string][] = [
      [postJson({ on: 'yes', reason: 'x' }), 'body on: Invalid input: expected boolean, received string'],
      [postJson({ on: true }), 'body reason: required when "on" is true'],
      [postJson({ on: true, reason: '   ' }), 'body reason: must not be empty'],
      [postJson({ on: true, reason: 'x', extra: 1 }), 'body (root): Unrecognized key: "extra"'],
      [postJson([1, 2]), 'body (root): Invalid input: expected object, received array'],
    ];
    for (const [init, message] of cases) {
      expect(await call('/kill', init)).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION', message } } });
    }
    expect(await call('/kill', postJson('{"on": tru'))).toMatchObject({ status: 400, body: { error: { code: 'INVALID_JSON' } } });
    expect(await call('/orders?limit=abc')).toMatchObject({ status: 400, body: { error: { message: expect.stringMatching(/^query limit: /) } } });
    expect(await call('/kill', { method: 'POST', body: 'on', headers: { ...AUTH, 'content-type': 'text/plain' } })).toMatchObject({
      status: 415,
      body: { error: { code: 'UNSUPPORTED_MEDIA_TYPE' } },
    });
    expect(harness?.control.status().killSwitch.on).toBe(false);
  });

  it('refuses bodies over the size limit with 413', async () => {
    await start({ maxBodyBytes: 64 });
    const response = await call('/kill', postJson({ on: true, reason: 'x'.repeat(100) }));
    expect(response).toMatchObject({ status: 413, body: { error: { code: 'BODY_TOO_LARGE', message: 'body exceeds 64 bytes' } } });
    expect(harness?.control.status().killSwitch.on).toBe(false);
  });

  it('answers unknown routes with 404 and wrong methods with 405, as JSON', async () => {
    await start();
    expect(await call('/nope')).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND', message: 'no route /nope' } } });
    expect(await call('/status/extra')).toMatchObject({ status: 404 });
    expect(await call('/flatten/a/b', { method: 'POST' })).toMatchObject({ status: 404 });
    const wrong = await call('/status', { method: 'DELETE' });
    expect(wrong).toMatchObject({ status: 405, body: { error: { code: 'METHOD_NOT_ALLOWED', message: 'use GET' } } });
    expect(wrong.headers.get('allow')).toBe('GET, HEAD');
    expect((await call('/kill')).headers.get('allow')).toBe('POST');
    expect(await call('/flatten/%E0%A4%A', { method: 'POST' })).toMatchObject({ status: 400, body: { error: { code: 'BAD_PATH' } } });
  });

  it('flattens a known strategy, 404s an unknown one, 400s a bad id', async () => {
    const { halts } = await start();
    expect(await call('/flatten/gotobi-a', { method: 'POST' })).toMatchObject({ status: 202, body: { flattening: ['gotobi-a'] } });
    expect(await call('/flatten/other', { method: 'POST' })).toMatchObject({ status: 404, body: { error: { code: 'UNKNOWN_STRATEGY', message: 'unknown strategy "other"' } } });
    expect(await call('/flatten/a%20b', { method: 'POST' })).toMatchObject({ status: 400, body: { error: { message: expect.stringMatching(/^path strategyId: /) } } });
    expect(await call('/flatten/gotobi-a', postJson({ reason: '' }))).toMatchObject({ status: 400, body: { error: { message: 'body reason: must not be empty' } } });
    expect(halts.at(-1)?.strategies).toEqual({ 'gotobi-a': 'flat' });
    expect((await call('/status')).body).toMatchObject({ halts: { 'gotobi-a': { halt: 'flat', reason: 'flattened through the HTTP API' } } });
  });

  it('kills one strategy, flattens all, resumes one and then everything', async () => {
    const { halts, control } = await start();
    expect(await call('/kill/gotobi-b', postJson({ reason: 'b looks wrong' }))).toMatchObject({
      status: 200,
      body: { strategyId: 'gotobi-b', state: { halt: 'killed', reason: 'b looks wrong' } },
    });
    expect(await call('/kill/gotobi-b', postJson({}))).toMatchObject({ status: 400, body: { error: { message: 'body reason: Invalid input: expected string, received undefined' } } });
    expect(await call('/kill/nope', postJson({ reason: 'x' }))).toMatchObject({ status: 404 });
    expect(await call('/flatten', postJson({ reason: 'end of day' }))).toMatchObject({ status: 202, body: { flattening: ['gotobi-a', 'gotobi-b'] } });
    expect(halts.at(-1)?.strategies).toEqual({ 'gotobi-a': 'flat', 'gotobi-b': 'flat' });
    control.setKillSwitch(true, 'news');
    expect(await call('/resume/gotobi-a', { method: 'POST' })).toMatchObject({
      status: 200,
      body: { killSwitch: { on: true }, halts: { 'gotobi-b': { halt: 'flat', reason: 'end of day' } } },
    });
    expect(await call('/resume', postJson({ reason: 'all clear' }))).toMatchObject({ status: 200, body: { killSwitch: { on: false, reason: 'all clear' }, halts: {} } });
    expect(halts.at(-1)).toMatchObject({ killAll: false, strategies: {} });
    expect((await call('/resume/gotobi-a', { method: 'GET' })).status).toBe(405);
  });

  it('survives malformed HTTP and keeps serving', async () => {
    const { api } = await start();
    const { hostname, port } = new URL(api.url);
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), hostname, () => socket.write('NOT HTTP AT ALL\r\n\r\n'));
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString()));
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    expect(reply).toMatch(/^HTTP\/1\.1 400 Bad Request/);
    expect((await call('/health')).status).toBe(200);
  });

  it('streams control events over SSE, resumes after Last-Event-ID, and ends streams on close', async () => {
    const { api, control, executions } = await start({ token: TOKEN });
    const auth = { authorization: `Bearer ${TOKEN}` };
    expect((await fetch(`${api.url}/events`)).status).toBe(401);

    const response = await fetch(`${api.url}/events`, { headers: auth });
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const stream = sseReader(response);
    const fill = makeFill();
    executions.next(fill);
    control.setKillSwitch(true, 'drill');
    control.setConnection('disconnected');
    const frames = await stream.next(3);
    expect(frames.map((f) => [f.id, f.event])).toEqual([
      ['1', 'fill'],
      ['2', 'killSwitch'],
      ['3', 'connection'],
    ]);
    expect(frames[0].data).toEqual({ kind: 'fill', seq: 1, ts: fill.ts, fill });
    expect(frames[1].data).toMatchObject({ on: true, reason: 'drill' });

    const resumed = sseReader(await fetch(`${api.url}/events`, { headers: { ...auth, 'last-event-id': '1' } }));
    expect((await resumed.next(2)).map((f) => f.id)).toEqual(['2', '3']);
    executions.next(makeOrderEvent({ status: 'Rejected', reason: 'KILL_SWITCH' }));
    expect((await resumed.next(1))[0]).toMatchObject({ id: '4', event: 'order', data: { order: { status: 'Rejected', reason: 'KILL_SWITCH' } } });
    expect((await stream.next(1))[0].id).toBe('4');

    expect(await call('/events', { headers: { ...auth, 'last-event-id': 'x' } })).toMatchObject({ status: 400 });
    await api.close();
    await expect(stream.rest()).resolves.toBe('');
    await expect(resumed.rest()).resolves.toBe('');
  });
});

/** Sends `text` on a raw socket and resolves with everything the server answered until it closed. */
function rawExchange(url: string, text: string, { endAfterMs = 2000 } = {}): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise<string>((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(text));
    let answer = '';
    const timer = setTimeout(() => socket.destroy(), endAfterMs);
    socket.on('data', (chunk) => (answer += chunk.toString()));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(answer);
    });
    socket.on('error', reject);
  });
}

describe('startHttpApi, event stream history', () => {
  it('says reset when the events after Last-Event-ID are no longer all retained, and sends the forming bar on connect', async () => {
    const control = createControlState({ mode: 'live', accountCurrency: 'USD', eventHistorySize: 2 });
    const api = await startHttpApi(control, { port: 0, token: TOKEN, logLevel: 'silent', dashboard: false });
    try {
      for (let i = 0; i < 5; i += 1) control.notify('info', `n${i}`);
      const forming = { kind: 'bar' as const, symbol: 'USDJPY', ts: 0, intervalMs: 60_000, open: 1, high: 1, low: 1, close: 1, volume: 0 };
      control.setForming(forming);
      const stream = sseReader(await fetch(`${api.url}/events`, { headers: { ...AUTH, 'last-event-id': '1' } }));
      const frames = await stream.next(4);
      expect(frames.map((f) => [f.id, f.event])).toEqual([
        [undefined, 'reset'],
        ['4', 'notice'],
        ['5', 'notice'],
        [undefined, 'forming'],
      ]);
      expect(frames[0].data).toEqual({ kind: 'reset', afterSeq: 1, firstRetained: 4 });
      expect(frames[3].data).toEqual({ kind: 'forming', bar: forming });
    } finally {
      await api.close();
      control.dispose();
    }
  });
});

describe('startHttpApi, event stream history beyond the buffer cap', () => {
  it('sends a page opened late every retained event even when they are more than the cap, then applies the cap to new ones', async () => {
    const control = createControlState({ mode: 'live', accountCurrency: 'USD', eventHistorySize: 500 });
    const api = await startHttpApi(control, { port: 0, token: TOKEN, logLevel: 'silent', dashboard: false, sseMaxBufferedBytes: 1024 });
    try {
      for (let i = 0; i < 400; i += 1) control.notify('info', `a day of events, number ${i}: ${'x'.repeat(60)}`);
      const stream = sseReader(await fetch(`${api.url}/events`, { headers: { ...AUTH, 'last-event-id': '0' } }));
      const frames = await stream.next(400);
      expect(frames.map((f) => Number(f.id))).toEqual(Array.from({ length: 400 }, (_, i) => i + 1));
      control.notify('info', 'live again');
      expect((await stream.next(1))[0]).toMatchObject({ id: '401', data: { message: 'live again' } });
    } finally {
      await api.close();
      control.dispose();
    }
  });
});

describe('startHttpApi, secure by default', () => {
  it('generates a token when none is configured: reads and changes need it, the printed URL carries it', async () => {
    const { api } = await start({ token: undefined });
    expect(api.tokenGenerated).toBe(true);
    expect(api.token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(api.dashboardUrl).toBe(`${api.url}/?token=${api.token}`);
    expect((await call('/status', { headers: {} })).status).toBe(401);
    expect((await call('/kill', postJson({ on: true, reason: 'x' }, null))).status).toBe(401);
    expect((await call('/kill', postJson({ on: true, reason: 'x' }, api.token))).status).toBe(200);
    const other = await startHttpApi(createControlState({ mode: 'live', accountCurrency: 'USD' }), { port: 0, logLevel: 'silent', dashboard: false });
    expect(other.token).not.toBe(api.token);
    await other.close();
  });

  it('refuses a configured token shorter than 16 characters', async () => {
    const control = createControlState({ mode: 'live', accountCurrency: 'USD' });
    await expect(startHttpApi(control, { port: 0, token: 'x' })).rejects.toThrow(
      new ConfigError('token: at least 16 characters (a short token can be guessed)', 'HTTP API options'),
    );
    await expect(startHttpApi(control, { port: 0, token: 'has a space in it!!' })).rejects.toThrow(/token: printable ASCII without spaces/);
  });

  it('answers only loopback names, the bound address and listed names in Host (DNS rebinding)', async () => {
    const { api } = await start({ allowedHosts: ['engine.lan'] });
    const get = (host: string): Promise<string> => rawExchange(api.url, `GET /health HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
    const port = new URL(api.url).port;
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, 'LOCALHOST', `engine.lan:${port}`, 'dash.localhost']) {
      expect(await get(host)).toMatch(/^HTTP\/1\.1 200 /);
    }
    for (const host of [`evil.example:${port}`, 'engine.lan.evil.example', '192.168.1.10']) {
      const answer = await get(host);
      expect(answer).toMatch(/^HTTP\/1\.1 403 /);
      expect(answer).toContain('"code":"FORBIDDEN_HOST"');
    }
    // No Host at all (HTTP/1.0) is refused too.
    expect(await rawExchange(api.url, 'GET /health HTTP/1.0\r\n\r\n')).toMatch(/^HTTP\/1\.1 403 /);
  });

  it('caps open connections: sockets beyond the cap are closed on arrival', async () => {
    const { api } = await start({ maxConnections: 3 });
    const { hostname, port } = new URL(api.url);
    const sockets = await Promise.all(
      Array.from({ length: 5 }, () => new Promise<Socket>((resolve) => {
        const socket = connect(Number(port), hostname, () => resolve(socket));
      })),
    );
    const closed = await Promise.all(sockets.map((s) => new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 300);
      s.on('close', () => {
        clearTimeout(timer);
        resolve(true);
      });
    })));
    expect(closed.filter(Boolean)).toHaveLength(2);
    for (const s of sockets) s.destroy();
    await eventually(async () => (await call('/health')).status === 200, 'a free connection');
  });

  it('caps event-stream clients with 503', async () => {
    const { api } = await start({ maxEventStreams: 2 });
    const open = [await fetch(`${api.url}/events`, { headers: AUTH }), await fetch(`${api.url}/events`, { headers: AUTH })];
    expect(open.map((r) => r.status)).toEqual([200, 200]);
    expect(await call('/events')).toMatchObject({ status: 503, body: { error: { code: 'TOO_MANY_STREAMS', message: 'at most 2 event streams at once' } } });
    await open[0].body?.cancel();
    await eventually(async () => {
      const again = await fetch(`${api.url}/events`, { headers: AUTH });
      await again.body?.cancel();
      return again.status === 200;
    }, 'a free event stream');
  });

  it('drops a client that is slow to send its headers or its body', async () => {
    const { api } = await start({ headersTimeoutMs: 300, requestTimeoutMs: 600 });
    const started = Date.now();
    const slowHeaders = await rawExchange(api.url, 'GET /health HTTP/1.1\r\nHost: localhost\r\n', { endAfterMs: 5000 });
    expect(slowHeaders).toMatch(/^HTTP\/1\.1 408 /);
    const slowBody = await rawExchange(
      api.url,
      `POST /kill HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"on":`,
      { endAfterMs: 5000 },
    );
    expect(slowBody).toMatch(/^HTTP\/1\.1 408 /);
    expect(Date.now() - started).toBeLessThan(4000);
    expect(harness?.control.status().killSwitch.on).toBe(false);
  });

  it('cuts a 200 MB chunked body off at the limit instead of reading it to the end', async () => {
    const { api } = await start({ maxBodyBytes: 1024 });
    const { hostname, port } = new URL(api.url);
    const outcome = await new Promise<{ sent: number; answer: string }>((resolve) => {
      const socket = connect(Number(port), hostname);
      const chunk = Buffer.alloc(64 * 1024, 'a');
      const frame = Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]);
      let sent = 0;
      let answer = '';
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        socket.destroy();
        resolve({ sent, answer });
      };
      socket.on('data', (data) => (answer += data.toString()));
      socket.on('close', finish);
      socket.on('error', finish);
      socket.write(`POST /kill HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`);
      const pump = (): void => {
        while (!done && sent < 200 * 1024 * 1024) {
          sent += chunk.length;
          if (!socket.write(frame)) {
            socket.once('drain', pump);
            return;
          }
        }
        if (!done) socket.end('0\r\n\r\n');
      };
      pump();
    });
    expect(outcome.answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(outcome.answer).toContain('"code":"BODY_TOO_LARGE"');
    // What the client managed to push into socket buffers before the server closed it, far from 200 MB.
    expect(outcome.sent).toBeLessThan(32 * 1024 * 1024);
  });

  it('rate-limits the mutating routes, not the reads', async () => {
    await start({ mutationsPerMinute: 2 });
    expect((await call('/kill', postJson({ on: true, reason: 'a' }))).status).toBe(200);
    expect((await call('/kill', postJson({ on: false }))).status).toBe(200);
    expect(await call('/kill', postJson({ on: true, reason: 'c' }))).toMatchObject({ status: 429, body: { error: { code: 'RATE_LIMITED' } } });
    // Each mutating route has its own allowance.
    const flatten = (): Promise<{ status: number }> => call('/flatten/gotobi-a', { method: 'POST', headers: AUTH });
    expect([(await flatten()).status, (await flatten()).status, (await flatten()).status]).toEqual([202, 202, 429]);
    for (let i = 0; i < 5; i += 1) expect((await call('/status')).status).toBe(200);
    expect(harness?.control.status().killSwitch.on).toBe(false);
  });

  it('has CORS off by default, and answers only the listed origins when configured', async () => {
    const preflight = (origin: string): RequestInit => ({
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });
    await start();
    const closed = await call('/kill', preflight('http://evil.example'));
    expect(closed.headers.get('access-control-allow-origin')).toBeNull();
    await harness?.api.close();
    harness?.control.dispose();

    await start({ corsOrigins: ['http://localhost:5173'] });
    const allowed = await call('/kill', preflight('http://localhost:5173'));
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect((await call('/kill', preflight('http://evil.example'))).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('publishes an OpenAPI document generated from the route schemas', async () => {
    await start();
    const { status, body } = await call('/openapi.json', { headers: {} });
    expect(status).toBe(200);
    const doc = body as { openapi: string; paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: unknown }> }; parameters?: unknown[] }>> };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths).sort()).toEqual(['/events', '/fills', '/flatten', '/flatten/{strategyId}', '/health', '/journal/fills', '/kill', '/kill/{strategyId}', '/orders', '/pnl', '/positions', '/reconcile', '/resume', '/resume/{strategyId}', '/status']);
    expect(doc.paths['/kill'].post.requestBody?.content['application/json'].schema).toMatchObject({
      type: 'object',
      properties: { on: { type: 'boolean' }, reason: { type: 'string', minLength: 1, maxLength: 500 } },
      required: ['on'],
      additionalProperties: false,
    });
    expect(doc.paths['/flatten/{strategyId}'].post.parameters).toEqual([
      expect.objectContaining({ in: 'path', name: 'strategyId', required: true, schema: expect.objectContaining({ pattern: '^[A-Za-z0-9._:-]{1,64}$' }) }),
    ]);
  });

  it('logs each request with its id, never the token', async () => {
    const lines: string[] = [];
    const logStream = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        lines.push(...chunk.toString().split('\n').filter((l) => l !== ''));
        callback();
      },
    });
    const { api } = await start({ logLevel: 'info', logStream });
    const response = await fetch(`${api.url}/status?token=${TOKEN}`, { headers: AUTH });
    const requestId = response.headers.get('x-request-id');
    expect(requestId).toMatch(/^req-/);
    await until(() => lines.length >= 2);
    const records = lines.map((l) => JSON.parse(l) as { reqId?: string; req?: { url: string }; res?: { statusCode: number } });
    expect(records.filter((r) => r.reqId === requestId).map((r) => r.req?.url ?? r.res?.statusCode)).toEqual(['/status?token=<redacted>', 200]);
    expect(lines.join('\n')).not.toContain(TOKEN);
  });
});
