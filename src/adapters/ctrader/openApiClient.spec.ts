import { afterEach, describe, expect, it } from '@jest/globals';
import type { Subscription } from 'rxjs';
import { DataError } from '../../core/errors';
import type { QuoteTick } from '../../core/types';
import { startFakeCtrader, type FakeCtrader, type FakeCtraderOptions } from '../../../test/support/fakeCtrader';
import type { CtraderConfig } from './config';
import { createOpenApiClient, CtraderProtocolError, type CtraderClientEvent, type CtraderOpenApiClient, type OpenApiClientOptions } from './openApiClient';
import { until } from '../../../test/support/until';

const T = Date.UTC(2024, 0, 5, 0, 0, 0);

/** Polls until `condition` holds; the bound only keeps a broken test from hanging. */

interface Harness {
  readonly fake: FakeCtrader;
  readonly client: CtraderOpenApiClient;
  readonly events: CtraderClientEvent[];
}

const open: Array<{ fake: FakeCtrader; client: CtraderOpenApiClient; subscriptions: Subscription[] }> = [];

async function harness(options: OpenApiClientOptions = {}, fakeOptions: FakeCtraderOptions = {}, overrides: Partial<CtraderConfig> = {}): Promise<Harness & { track(s: Subscription): Subscription }> {
  const fake = await startFakeCtrader(fakeOptions);
  const config: CtraderConfig = {
    host: '127.0.0.1',
    port: fake.port,
    tls: false,
    clientId: fake.options.clientId,
    clientSecret: fake.options.clientSecret,
    accessToken: fake.options.accessToken,
    accountId: fake.options.accountId,
    ...overrides,
  };
  const client = createOpenApiClient(config, { reconnect: { initialDelayMs: 20, maxDelayMs: 200 }, ...options });
  const events: CtraderClientEvent[] = [];
  const subscriptions: Subscription[] = [client.events$.subscribe((e) => events.push(e))];
  open.push({ fake, client, subscriptions });
  return { fake, client, events, track: (s) => (subscriptions.push(s), s) };
}

afterEach(async () => {
  for (const { fake, client, subscriptions } of open.splice(0)) {
    for (const s of subscriptions) s.unsubscribe();
    await client.close();
    await fake.close();
  }
});

function collect(h: Harness & { track(s: Subscription): Subscription }, symbol: string) {
  const ticks: QuoteTick[] = [];
  const state: { error?: unknown; completed: boolean } = { completed: false };
  const subscription = h.track(
    h.client.quotes(symbol).subscribe({
      next: (t) => ticks.push(t),
      error: (e: unknown) => (state.error = e),
      complete: () => (state.completed = true),
    }),
  );
  return { ticks, state, subscription };
}

const subscribedOn = (connection: number, symbolId: number) => (m: { connection: number; payloadType: number; payload: Record<string, unknown> }) =>
  m.connection === connection && m.payloadType === 2127 && Array.isArray(m.payload.symbolId) && m.payload.symbolId.includes(symbolId);

describe('cTrader Open API client', () => {
  it('authenticates the application and the account, maps the symbol name and subscribes with timestamps', async () => {
    const h = await harness();
    collect(h, 'USD/JPY');
    await h.fake.waitFor(subscribedOn(1, 4));
    expect(h.fake.received.map((m) => m.payloadType).filter((t) => t !== 51)).toEqual([2100, 2102, 2114, 2127]);
    const [app, account, list, subscribe] = h.fake.received;
    expect(app.payload).toEqual({ clientId: 'test-client', clientSecret: 'test-secret' });
    expect(account.payload).toEqual({ ctidTraderAccountId: 4242, accessToken: 'test-token' });
    expect(list.payload).toEqual({ ctidTraderAccountId: 4242 });
    expect(subscribe.payload).toEqual({ ctidTraderAccountId: 4242, symbolId: [4], subscribeToSpotTimestamp: true });
    // Every request carries its own clientMsgId so responses can be matched.
    expect(new Set(h.fake.received.map((m) => m.clientMsgId)).size).toBe(4);
  });

  it('turns spot events into quotes: integer prices / 100000, one-sided spots keep the other side, ts from the spot or the receive time', async () => {
    const h = await harness({ now: () => T + 999 });
    const { ticks } = collect(h, 'USDJPY');
    await h.fake.waitFor(subscribedOn(1, 4));
    h.fake.pushSpot({ symbolId: 4, bid: 15012345, timestamp: T }); // no ask known yet: no quote
    h.fake.pushSpot({ symbolId: 4, ask: 15012360, timestamp: T + 1 });
    h.fake.pushSpot({ symbolId: 4, ask: 15012370, timestamp: T + 2 });
    h.fake.pushSpot({ symbolId: 4, bid: 15012350, timestamp: T + 3 });
    h.fake.pushSpot({ symbolId: 4, bid: 15012351 }); // no timestamp: stamped on receipt
    h.fake.pushSpot({ symbolId: 1, bid: 108500, ask: 108502, timestamp: T + 4 }); // another symbol: not ours
    await until(() => ticks.length === 4, '4 ticks');
    const quote = (ts: number, bid: number, ask: number): QuoteTick => ({ kind: 'quote', symbol: 'USDJPY', ts, bid, ask });
    expect(ticks).toEqual([
      quote(T + 1, 150.12345, 150.1236),
      quote(T + 2, 150.12345, 150.1237),
      quote(T + 3, 150.1235, 150.1237),
      quote(T + 999, 150.12351, 150.1237),
    ]);
  });

  it('unsubscribes a symbol nobody wants any more and closes the socket after the last one', async () => {
    const h = await harness();
    const jpy = collect(h, 'USDJPY');
    const eur = collect(h, 'EURUSD');
    await h.fake.waitFor(subscribedOn(1, 1));
    await h.fake.waitFor(subscribedOn(1, 4));
    eur.subscription.unsubscribe();
    const unsubscribe = await h.fake.waitFor((m) => m.payloadType === 2129);
    expect(unsubscribe.payload).toEqual({ ctidTraderAccountId: 4242, symbolId: [1] });
    await until(() => h.fake.subscriberCount(1) === 0, 'EURUSD unsubscribed');
    expect(h.fake.subscriberCount(4)).toBe(1);
    jpy.subscription.unsubscribe();
    await until(() => h.events.some((e) => e.type === 'disconnected'), 'the socket to close');
    expect(h.fake.subscriberCount(4)).toBe(0);
    expect(h.events.filter((e) => e.type === 'reconnect-scheduled')).toEqual([]);
  });

  it('sends a heartbeat every heartbeatMs', async () => {
    const h = await harness({ heartbeatMs: 30 });
    collect(h, 'USDJPY');
    await until(() => h.fake.received.filter((m) => m.payloadType === 51).length >= 2, 'two heartbeats');
    expect(h.fake.received.find((m) => m.payloadType === 51)?.payload).toEqual({});
  });

  it("answers the server's heartbeat", async () => {
    const h = await harness({ heartbeatMs: 60_000 });
    collect(h, 'USDJPY');
    await h.fake.waitFor(subscribedOn(1, 4));
    expect(h.fake.received.some((m) => m.payloadType === 51)).toBe(false);
    h.fake.sendHeartbeat();
    await h.fake.waitFor((m) => m.payloadType === 51);
  });

  it('reconnects a silent connection (no message for staleAfterMs) and resubscribes', async () => {
    const h = await harness({ heartbeatMs: 20, staleAfterMs: 80 }, { heartbeatMs: 10 });
    collect(h, 'USDJPY');
    await h.fake.waitFor(subscribedOn(1, 4));
    h.fake.mute(true);
    await until(() => h.events.some((e) => e.type === 'disconnected'), 'the stale connection to be dropped');
    expect(h.events.find((e) => e.type === 'disconnected')).toEqual({ type: 'disconnected', reason: expect.stringContaining('stale after 80 ms') });
    h.fake.mute(false);
    await h.fake.waitFor((m) => m.connection > 1 && m.payloadType === 2127);
  });

  it('after a drop, reconnects with backoff, re-authenticates, resubscribes and drops the repeated snapshot: no tick lost or doubled', async () => {
    const h = await harness();
    const { ticks, state } = collect(h, 'USDJPY');
    await h.fake.waitFor(subscribedOn(1, 4));
    h.fake.pushSpot({ symbolId: 4, bid: 15010000, ask: 15010010, timestamp: T });
    h.fake.pushSpot({ symbolId: 4, bid: 15010100, ask: 15010110, timestamp: T + 1000 });
    await until(() => ticks.length === 2, '2 ticks');

    h.fake.dropConnections();
    await h.fake.waitFor(subscribedOn(2, 4));
    // The server's snapshot after the new subscription repeats the last quote: it must not be delivered twice.
    await until(() => h.events.some((e) => e.type === 'dropped-spot'), 'the snapshot to arrive');
    h.fake.pushSpot({ symbolId: 4, bid: 15010200, ask: 15010210, timestamp: T + 2000 });
    h.fake.pushSpot({ symbolId: 4, ask: 15010220, timestamp: T + 3000 });
    await until(() => ticks.length === 4, '4 ticks');

    expect(ticks.map((t) => [t.ts - T, t.bid, t.ask])).toEqual([
      [0, 150.1, 150.1001],
      [1000, 150.101, 150.1011],
      [2000, 150.102, 150.1021],
      [3000, 150.102, 150.1022],
    ]);
    expect(state.error).toBeUndefined();
    expect(h.fake.received.filter((m) => m.connection === 2 && m.payloadType !== 51).map((m) => m.payloadType)).toEqual([2100, 2102, 2114, 2127]);
    const lifecycle = h.events.filter((e) => e.type !== 'subscribed').map((e) => e.type);
    expect(lifecycle).toEqual(['connecting', 'ready', 'disconnected', 'reconnect-scheduled', 'connecting', 'ready', 'dropped-spot']);
    expect(h.events.find((e) => e.type === 'reconnect-scheduled')).toEqual({ type: 'reconnect-scheduled', attempt: 1, delayMs: 20 });
  });

  it('after a drop, delivers the price that changed meanwhile from the snapshot (spots during the outage are not replayed)', async () => {
    const h = await harness({ reconnect: { initialDelayMs: 150 } });
    const { ticks } = collect(h, 'USDJPY');
    await h.fake.waitFor(subscribedOn(1, 4));
    h.fake.pushSpot({ symbolId: 4, bid: 15010000, ask: 15010010, timestamp: T });
    await until(() => ticks.length === 1, 'the first tick');
    h.fake.dropConnections();
    await until(() => h.events.some((e) => e.type === 'disconnected'), 'the drop to be seen');
    // Nobody is connected: the protocol has no way to resend these two.
    expect(h.fake.pushSpot({ symbolId: 4, bid: 15020000, ask: 15020010, timestamp: T + 1000 })).toBe(0);
    expect(h.fake.pushSpot({ symbolId: 4, bid: 15030000, ask: 15030010, timestamp: T + 2000 })).toBe(0);
    await until(() => ticks.length === 2, 'the snapshot tick');
    expect(ticks.map((t) => [t.ts - T, t.bid])).toEqual([
      [0, 150.1],
      [2000, 150.3],
    ]);
  });

  it('fails the stream with an error naming the payloadType and the field when a spot is malformed; the process goes on', async () => {
    const h = await harness();
    const jpy = collect(h, 'USDJPY');
    const eur = collect(h, 'EURUSD');
    await h.fake.waitFor(subscribedOn(1, 1));
    await h.fake.waitFor(subscribedOn(1, 4));
    h.fake.sendRaw(JSON.stringify({ payloadType: 2131, payload: { ctidTraderAccountId: 4242, symbolId: 4, bid: 'abc', ask: 15010010 } }));
    await until(() => jpy.state.error !== undefined, 'the error');
    expect(jpy.state.error).toBeInstanceOf(DataError);
    expect((jpy.state.error as Error).message).toMatch(/^cTrader ProtoOASpotEvent \(payloadType 2131\), field "payload\.bid": .*got "abc"/);
    // The other symbol's stream is not concerned and keeps going.
    h.fake.pushSpot({ symbolId: 1, bid: 108500, ask: 108502, timestamp: T });
    await until(() => eur.ticks.length === 1, 'the EURUSD tick');
    expect(eur.state.error).toBeUndefined();
  });

  it('fails every stream on a frame that is not JSON or has no payloadType', async () => {
    const h = await harness();
    const jpy = collect(h, 'USDJPY');
    await h.fake.waitFor(subscribedOn(1, 4));
    h.fake.sendRaw('{"payloadType": 2131, "payload": {');
    await until(() => jpy.state.error !== undefined, 'the error');
    expect((jpy.state.error as Error).message).toMatch(/^cTrader message: message must be JSON/);

    const again = collect(h, 'USDJPY');
    await h.fake.waitFor(subscribedOn(2, 4));
    h.fake.sendRaw(JSON.stringify({ clientMsgId: 'x', payload: {} }));
    await until(() => again.state.error !== undefined, 'the second error');
    expect((again.state.error as Error).message).toMatch(/^cTrader message, field "payloadType": /);
  });

  it('fails without retrying when the application credentials are refused', async () => {
    const h = await harness({}, {}, { clientSecret: 'wrong' });
    const { state } = collect(h, 'USDJPY');
    await until(() => state.error !== undefined, 'the error');
    expect(state.error).toBeInstanceOf(CtraderProtocolError);
    expect((state.error as Error).message).toBe(
      'cTrader ProtoOAApplicationAuthReq failed: CH_CLIENT_AUTH_FAILURE (Open API client is not activated or wrong client credentials.)',
    );
    await until(() => h.events.some((e) => e.type === 'disconnected'), 'the socket to close');
    expect(h.events.some((e) => e.type === 'reconnect-scheduled')).toBe(false);
    expect(h.fake.connectionCount()).toBe(1);
  });

  it('fails when the access token is refused', async () => {
    const h = await harness({}, {}, { accessToken: 'expired' });
    const { state } = collect(h, 'USDJPY');
    await until(() => state.error !== undefined, 'the error');
    expect((state.error as Error).message).toBe('cTrader ProtoOAAccountAuthReq failed: CH_ACCESS_TOKEN_INVALID (Access token is invalid.)');
  });

  it('fails the stream of a symbol the account does not offer, and only that one', async () => {
    const h = await harness();
    const gbp = collect(h, 'GBPUSD');
    const jpy = collect(h, 'USDJPY');
    await until(() => gbp.state.error !== undefined, 'the error');
    expect((gbp.state.error as Error).message).toBe(
      'cTrader ProtoOASymbolsListRes (payloadType 2115), field "payload.symbol": symbol is not offered by the account (no symbolName matches "GBPUSD" for ctidTraderAccountId 4242)',
    );
    await h.fake.waitFor(subscribedOn(1, 4));
    h.fake.pushSpot({ symbolId: 4, bid: 15010000, ask: 15010010, timestamp: T });
    await until(() => jpy.ticks.length === 1, 'the USDJPY tick');
  });

  it('gives up after maxAttempts consecutive failed connections', async () => {
    const h = await harness({ reconnect: { initialDelayMs: 5, maxAttempts: 2 } });
    const port = h.fake.port;
    await h.fake.close();
    const { state } = collect(h, 'USDJPY');
    await until(() => state.error !== undefined, 'the error');
    expect((state.error as Error).message).toBe(`cTrader: gave up reconnecting to ws://127.0.0.1:${port} after 2 attempts`);
    expect(h.events.filter((e) => e.type === 'connecting')).toHaveLength(3);
  });

  it('completes every stream on close()', async () => {
    const h = await harness();
    const { state } = collect(h, 'USDJPY');
    await h.fake.waitFor(subscribedOn(1, 4));
    await h.client.close();
    expect(state.completed).toBe(true);
    expect(h.events.at(-1)?.type).toBe('disconnected');
  });
});
