import { connect } from 'node:net';
import { Subject } from 'rxjs';
import { ConfigError } from '../core/errors';
import type { ExecutionEvent, Position } from '../core/types';
import { createControlState, type ControlState } from './control';
import { makeFill, makeOrderEvent, makePosition } from '../../test/support/controlFixtures';
import { startHttpApi, type HttpApi } from './httpApi';

const TOKEN = 'test-token-123';

interface Harness {
  readonly control: ControlState;
  readonly executions: Subject<ExecutionEvent>;
  readonly positions: Subject<Position>;
  readonly flattened: string[];
  readonly api: HttpApi;
}

let harness: Harness | undefined;

async function start(options: { readonly token?: string; readonly maxBodyBytes?: number; readonly flatten?: boolean } = {}): Promise<Harness> {
  const flattened: string[] = [];
  const control = createControlState({
    mode: 'live',
    accountCurrency: 'USD',
    strategyIds: ['gotobi-a'],
    initialConnection: 'connected',
    ...(options.flatten === false ? {} : { flatten: (id: string) => flattened.push(id) }),
  });
  const executions = new Subject<ExecutionEvent>();
  const positions = new Subject<Position>();
  control.attach({ executions$: executions, positions$: positions });
  const api = await startHttpApi(control, { port: 0, token: options.token, maxBodyBytes: options.maxBodyBytes });
  harness = { control, executions, positions, flattened, api };
  return harness;
}

afterEach(async () => {
  await harness?.api.close();
  harness?.control.dispose();
  harness = undefined;
});

async function call(path: string, init: RequestInit = {}): Promise<{ status: number; body: unknown; headers: Headers }> {
  if (harness === undefined) throw new Error('start() first');
  const response = await fetch(harness.api.url + path, init);
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

function postJson(body: unknown, token?: string): RequestInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
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
    expect((await call('/status')).body).toMatchObject({ mode: 'live', connection: 'connected', killSwitch: { on: false }, strategies: ['gotobi-a'] });
    expect((await call('/positions')).body).toEqual({ positions: [makePosition({ unrealizedPnl: 1500, unrealizedPnlAccount: 10 })] });
    expect((await call('/pnl')).body).toMatchObject({ accountCurrency: 'USD', unrealizedAccount: 10, totalAccount: 10 });
    const orders = (await call('/orders?limit=2')).body as { orders: { order: { id: string } }[] };
    expect(orders.orders.map((e) => e.order.id)).toEqual(['gotobi-a-2', 'gotobi-a-3']);
    expect((await call('/fills/')).body).toEqual({ fills: [makeFill()] });
  });

  it('requires the bearer token on every route but /health when one is configured', async () => {
    await start({ token: TOKEN });
    expect((await call('/health')).status).toBe(200);
    const missing = await call('/status');
    expect(missing).toMatchObject({ status: 401, body: { error: { code: 'UNAUTHORIZED' } } });
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');
    expect((await call('/status', { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await call('/kill', postJson({ on: true, reason: 'x' }))).status).toBe(401);
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

  it('turns the kill switch on and off, visible in /status and to riskGate', async () => {
    const { control } = await start({ token: TOKEN });
    const flags: boolean[] = [];
    control.killSwitch$.subscribe((on) => flags.push(on));

    const on = await call('/kill', postJson({ on: true, reason: 'news spike' }, TOKEN));
    expect(on).toMatchObject({ status: 200, body: { killSwitch: { on: true, reason: 'news spike' } } });
    const status = await call('/status', { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(status.body).toMatchObject({ killSwitch: { on: true, reason: 'news spike' } });
    const off = await call('/kill', postJson({ on: false }, TOKEN));
    expect(off).toMatchObject({ status: 200, body: { killSwitch: { on: false, reason: 'resumed through the HTTP API' } } });
    expect(flags).toEqual([false, true, false]);
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
    expect(await call('/kill', { method: 'POST', body: 'on', headers: { 'content-type': 'text/plain' } })).toMatchObject({
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
    expect(await call('/flatten', { method: 'POST' })).toMatchObject({ status: 404 });
    const wrong = await call('/status', { method: 'DELETE' });
    expect(wrong).toMatchObject({ status: 405, body: { error: { code: 'METHOD_NOT_ALLOWED', message: 'use GET' } } });
    expect(wrong.headers.get('allow')).toBe('GET, HEAD');
    expect((await call('/kill')).headers.get('allow')).toBe('POST');
    expect(await call('/flatten/%E0%A4%A', { method: 'POST' })).toMatchObject({ status: 400, body: { error: { code: 'BAD_PATH' } } });
  });

  it('flattens a known strategy, 404s an unknown one, 400s a bad id', async () => {
    const { flattened } = await start();
    expect(await call('/flatten/gotobi-a', { method: 'POST' })).toMatchObject({ status: 202, body: { flattening: 'gotobi-a' } });
    expect(await call('/flatten/other', { method: 'POST' })).toMatchObject({ status: 404, body: { error: { code: 'UNKNOWN_STRATEGY', message: 'unknown strategy "other"' } } });
    expect(await call('/flatten/a%20b', { method: 'POST' })).toMatchObject({ status: 400, body: { error: { message: expect.stringMatching(/^path strategyId: /) } } });
    expect(flattened).toEqual(['gotobi-a']);
  });

  it('answers 501 to flatten when the engine cannot flatten', async () => {
    await start({ flatten: false });
    expect(await call('/flatten/gotobi-a', { method: 'POST' })).toMatchObject({ status: 501, body: { error: { code: 'NOT_IMPLEMENTED' } } });
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
