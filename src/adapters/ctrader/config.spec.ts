import { describe, expect, it } from '@jest/globals';
import { ConfigError } from '../../core/errors';
import { ctraderUrl, resolveCtraderConfig } from './config';
import { parseInbound, PayloadType } from './protocol';

const env = {
  CTRADER_CLIENT_ID: 'id',
  CTRADER_CLIENT_SECRET: 'secret',
  CTRADER_ACCESS_TOKEN: 'token',
  CTRADER_ACCOUNT_ID: '4242',
};

describe('resolveCtraderConfig', () => {
  it('takes credentials from the environment, with the demo JSON endpoint over TLS by default', () => {
    const config = resolveCtraderConfig({}, env);
    expect(config).toEqual({ host: 'demo.ctraderapi.com', port: 5036, tls: true, clientId: 'id', clientSecret: 'secret', accessToken: 'token', accountId: 4242 });
    expect(ctraderUrl(config)).toBe('wss://demo.ctraderapi.com:5036');
  });

  it('lets the environment override the config file section', () => {
    const config = resolveCtraderConfig({ host: 'live.ctraderapi.com', port: 5036, clientId: 'file-id' }, { ...env, CTRADER_HOST: '127.0.0.1', CTRADER_PORT: '9000', CTRADER_TLS: 'false' });
    expect(config).toMatchObject({ host: '127.0.0.1', port: 9000, tls: false, clientId: 'id' });
    expect(ctraderUrl(config)).toBe('ws://127.0.0.1:9000');
  });

  it('names the field and its environment variable when one is missing or wrong', () => {
    expect(() => resolveCtraderConfig({}, { ...env, CTRADER_ACCESS_TOKEN: undefined })).toThrow(
      new ConfigError("accessToken (CTRADER_ACCESS_TOKEN): is required (an OAuth access token for the trader's account)", 'cTrader config'),
    );
    expect(() => resolveCtraderConfig({}, { ...env, CTRADER_ACCOUNT_ID: 'abc' })).toThrow('CTRADER_ACCOUNT_ID must be a positive integer, got "abc"');
    expect(() => resolveCtraderConfig({ port: 0 }, env)).toThrow('port (CTRADER_PORT):');
    expect(() => resolveCtraderConfig({ hots: 'x' }, env)).toThrow(/Unrecognized key/);
  });
});

describe('parseInbound', () => {
  it('accepts int64 fields as numbers or digit strings', () => {
    const message = parseInbound(JSON.stringify({ payloadType: 2131, payload: { ctidTraderAccountId: '4242', symbolId: 4, bid: '15012345', timestamp: 1704412800000 } }));
    expect(message).toEqual({ payloadType: PayloadType.SPOT_EVENT, payload: { ctidTraderAccountId: 4242, symbolId: 4, bid: 15012345, timestamp: 1704412800000 } });
  });

  it('names the message, its payloadType and the field of a bad payload', () => {
    const error = parseInbound(JSON.stringify({ clientMsgId: 'rx-1', payloadType: 2142, payload: { description: 'no code' } }));
    expect((error as Error).message).toBe('cTrader ProtoOAErrorRes (payloadType 2142), field "payload.errorCode": Invalid input: expected string, received undefined (got undefined)');
    const price = parseInbound(JSON.stringify({ payloadType: 2131, payload: { ctidTraderAccountId: 1, symbolId: 4, ask: 1.5 } }));
    expect((price as Error).message).toMatch(/^cTrader ProtoOASpotEvent \(payloadType 2131\), field "payload.ask": /);
  });

  it('passes payload types it does not know as such, so new server events are skipped, not fatal', () => {
    expect(parseInbound(JSON.stringify({ payloadType: 2126, payload: { anything: true } }))).toEqual({ payloadType: -1, unknownPayloadType: 2126, payload: { anything: true } });
  });
});
