import { afterEach, describe, expect, it } from '@jest/globals';
import { IN_MSG_ID } from '@stoqey/ib/dist/core/io/enum/in-msg-id';
import { filter, firstValueFrom, take, toArray } from 'rxjs';
import { startFakeTws, type FakeTws } from '../../testkit/fakeTws';
import {
  backoffDelay,
  createIbConnection,
  DEFAULT_BACKOFF,
  resolveIbConnectionConfig,
  type IbConnection,
  type IbConnectionState,
  type IbSession,
} from './connection';

const fast = { initialMs: 10, maxMs: 40, factor: 2 };

let tws: FakeTws | undefined;
let conn: IbConnection | undefined;

afterEach(async () => {
  await conn?.close();
  await tws?.close();
  conn = undefined;
  tws = undefined;
});

function nextSession(c: IbConnection, after = 0): Promise<IbSession> {
  return firstValueFrom(c.session$.pipe(filter((s): s is IbSession => s !== null && s.epoch > after)));
}

describe('backoffDelay', () => {
  it('grows by the factor from the initial delay and stops at the cap', () => {
    const policy = { ...DEFAULT_BACKOFF, initialMs: 100, maxMs: 1000, factor: 2 };
    expect([1, 2, 3, 4, 5, 6].map((a) => backoffDelay(a, policy))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });
});

describe('resolveIbConnectionConfig', () => {
  it('takes the config section, lets IB_* variables override it, and defaults to the paper port', () => {
    expect(resolveIbConnectionConfig({ clientId: 3, account: 'DU1' })).toEqual({ host: '127.0.0.1', port: 7497, clientId: 3, account: 'DU1' });
    expect(
      resolveIbConnectionConfig({ host: 'gw', port: 4002, clientId: 3 }, { IB_HOST: 'tws.local', IB_PORT: '7496', IB_CLIENT_ID: '8', IB_ACCOUNT: 'U5' }),
    ).toEqual({ host: 'tws.local', port: 7496, clientId: 8, account: 'U5' });
  });

  it('names the field or variable that is wrong', () => {
    expect(() => resolveIbConnectionConfig({ port: 4002 }, {}, 'config/live.json: ib')).toThrow('config/live.json: ib: clientId: Invalid input');
    expect(() => resolveIbConnectionConfig({ clientId: 1, port: 70000 })).toThrow('ib: port: Too big');
    expect(() => resolveIbConnectionConfig({ clientId: 1 }, { IB_PORT: 'seven' })).toThrow('IB_PORT: must be a whole number, got "seven"');
    expect(() => resolveIbConnectionConfig({ clientId: 1, hots: 'x' })).toThrow('ib: (root): Unrecognized key: "hots"');
    expect(() => createIbConnection({ host: '', port: 1, clientId: 1 })).toThrow('IB connection: host: Too small');
  });
});

describe('createIbConnection against the fake TWS', () => {
  it('completes the handshake: server version, accounts, order ids; closes cleanly', async () => {
    tws = await startFakeTws({ accounts: ['DU111', 'DU222'], nextOrderId: 41 });
    conn = createIbConnection({ host: tws.host, port: tws.port, clientId: 5 });
    const states: IbConnectionState[] = [];
    conn.state$.subscribe((s) => states.push(s));
    const session = await nextSession(conn);
    expect(session.serverVersion).toBe(176);
    expect(session.accounts).toEqual(['DU111', 'DU222']);
    expect(session.connectionId).toBe(1);
    expect(conn.nextOrderId()).toBe(41);
    expect(conn.nextOrderId()).toBe(42);
    expect(conn.nextRequestId()).toBeGreaterThanOrEqual(1_000_000);
    expect(tws.requestsOf('startApi').map((r) => r.request)).toEqual([{ type: 'startApi', clientId: 5, optionalCapabilities: '' }]);
    await conn.close();
    expect(states.map((s) => s.status)).toEqual(['connecting', 'connected', 'closed']);
    expect(tws.protocolErrors).toEqual([]);
  });

  it('reconnects with backoff after the socket drops and starts a new session', async () => {
    tws = await startFakeTws();
    conn = createIbConnection({ host: tws.host, port: tws.port, clientId: 9, reconnect: fast });
    const first = await nextSession(conn);
    const notices: string[] = [];
    conn.notices$.subscribe((n) => n.kind !== 'info' && notices.push(n.kind));
    tws.dropConnections();
    const second = await nextSession(conn, first.epoch);
    expect(second.connectionId).toBe(2);
    expect(first.isCurrent()).toBe(false);
    expect(first.isOpen()).toBe(false);
    expect(second.isCurrent()).toBe(true);
    expect(notices).toEqual(['reconnecting', 'connected']);
    expect(tws.requestsOf('startApi')).toHaveLength(2);
  });

  it('keeps retrying while TWS refuses (nightly restart), with growing delays, then connects', async () => {
    tws = await startFakeTws();
    tws.setAcceptConnections(false);
    conn = createIbConnection({ host: tws.host, port: tws.port, clientId: 3, reconnect: fast });
    const retries = firstValueFrom(
      conn.state$.pipe(
        filter((s): s is Extract<IbConnectionState, { status: 'disconnected' }> => s.status === 'disconnected'),
        take(3),
        toArray(),
      ),
    );
    const delays = (await retries).map((s) => s.retryInMs);
    expect(delays).toEqual([10, 20, 40]);
    tws.setAcceptConnections(true);
    const session = await nextSession(conn);
    expect(session.connectionId).toBe(1);
  });

  it('gives up after maxAttempts: state failed, session$ errors with the address', async () => {
    tws = await startFakeTws();
    tws.setAcceptConnections(false);
    conn = createIbConnection({ host: tws.host, port: tws.port, clientId: 3, reconnect: { ...fast, maxAttempts: 2 } });
    await expect(nextSession(conn)).rejects.toThrow(`gave up after 2 attempt(s) to reach TWS at 127.0.0.1:${tws.port} (clientId 3)`);
    expect(conn.state()).toMatchObject({ status: 'failed' });
  });

  it('1100 marks the link lost; 1101 restores it and starts a new epoch on the same socket; 1102 restores it only', async () => {
    tws = await startFakeTws();
    conn = createIbConnection({ host: tws.host, port: tws.port, clientId: 1 });
    const first = await nextSession(conn);
    const link = () => (conn?.state() as Extract<IbConnectionState, { status: 'connected' }>).link;
    const connectivity = firstValueFrom(conn.notices$.pipe(filter((n) => n.kind === 'connectivity'), take(3), toArray()));

    tws.sendConnectivity(1100);
    await firstValueFrom(conn.state$.pipe(filter((s) => s.status === 'connected' && s.link === 'lost')));
    tws.sendConnectivity(1102);
    await firstValueFrom(conn.state$.pipe(filter((s) => s.status === 'connected' && s.link === 'ok')));
    expect(conn.currentSession()).toBe(first);

    tws.sendConnectivity(1101);
    const second = await nextSession(conn, first.epoch);
    expect(second.connectionId).toBe(first.connectionId);
    expect(first.isCurrent()).toBe(false);
    expect(first.isOpen()).toBe(true);
    expect(link()).toBe('ok');
    expect((await connectivity).map((n) => (n.kind === 'connectivity' ? n.code : 0))).toEqual([1100, 1102, 1101]);
  });

  it('reports an undecodable message as a protocol error naming the message id', async () => {
    tws = await startFakeTws();
    conn = createIbConnection({ host: tws.host, port: tws.port, clientId: 1 });
    await nextSession(conn);
    const error = firstValueFrom(conn.protocolErrors$);
    tws.sendRaw([IN_MSG_ID.REAL_TIME_BARS, 3, 1_000_000, 1704412800, 150.1]); // realtimeBar cut short after "open"
    const e = await error;
    expect(e.messageName).toBe('REAL_TIME_BARS');
    expect(e.error.message).toMatch(/^IB message 50 \(REAL_TIME_BARS\): has fewer fields than its layout/);
  });

  it('passes request-tied TWS errors on errors$ and farm notices on notices$', async () => {
    tws = await startFakeTws();
    conn = createIbConnection({ host: tws.host, port: tws.port, clientId: 1 });
    const infos = firstValueFrom(conn.notices$.pipe(filter((n) => n.kind === 'info'), take(3), toArray()));
    await nextSession(conn);
    expect((await infos).map((n) => (n.kind === 'info' ? n.code : 0))).toEqual([2104, 2106, 2158]);
    const error = firstValueFrom(conn.errors$);
    tws.sendError(1_000_007, 200, 'No security definition has been found for the request');
    expect(await error).toMatchObject({ id: 1_000_007, code: 200, message: 'No security definition has been found for the request' });
  });

  it('a second connection with a clientId in use is refused by TWS (326) and keeps retrying', async () => {
    tws = await startFakeTws();
    conn = createIbConnection({ host: tws.host, port: tws.port, clientId: 4 });
    await nextSession(conn);
    const other = createIbConnection({ host: tws.host, port: tws.port, clientId: 4, reconnect: fast });
    try {
      const refused = firstValueFrom(other.notices$.pipe(filter((n) => n.kind === 'info' && n.code === 326)));
      const retry = firstValueFrom(other.state$.pipe(filter((s) => s.status === 'disconnected')));
      await refused;
      await retry;
      expect(other.currentSession()).toBeNull();
    } finally {
      await other.close();
    }
  });
});
