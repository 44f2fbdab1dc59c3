import { ConfigError } from '../core/errors';
import { createControlState } from './control';
import { startFakeTelegram, type FakeTelegram } from '../../test/support/fakeTelegram';
import { startControlSurfaces } from './surfaces';
import type { TelegramLogEntry } from './telegramBot';

let fake: FakeTelegram;

beforeEach(async () => {
  fake = await startFakeTelegram();
});

afterEach(async () => {
  await fake.close();
});

describe('startControlSurfaces', () => {
  it('starts the HTTP API with its token from the environment and the bot with its own, and closes both', async () => {
    const control = createControlState({ mode: 'live', accountCurrency: 'USD' });
    const logs: TelegramLogEntry[] = [];
    const surfaces = await startControlSurfaces(
      control,
      { http: { port: 0, tokenEnv: 'TEST_HTTP_TOKEN', logLevel: 'silent' }, telegram: { allowedChatIds: [1], baseUrl: fake.baseUrl, pollTimeoutSec: 5 } },
      { env: { TEST_HTTP_TOKEN: 'secret-token-0123456789', TELEGRAM_BOT_TOKEN: fake.token }, telegramLog: (entry) => logs.push(entry), http: { dashboard: false } },
    );
    const url = surfaces.http?.url ?? '';
    expect((await fetch(`${url}/status`)).status).toBe(401);
    expect((await fetch(`${url}/status`, { headers: { authorization: 'Bearer secret-token-0123456789' } })).status).toBe(200);
    expect(surfaces.http?.tokenGenerated).toBe(false);
    await fake.waitFor('bot polling', () => fake.calls.some((c) => c.method === 'getUpdates'));

    await surfaces.close();
    expect(await surfaces.telegram?.closed).toEqual({ reason: 'stopped' });
    await expect(fetch(`${url}/health`)).rejects.toThrow();
    expect(logs.map((l) => l.message)).toContain('polling as @EngineTestBot for chats 1');
    control.dispose();
  });

  it('names the offending field of a bad interfaces section', async () => {
    const control = createControlState({ mode: 'live', accountCurrency: 'USD' });
    await expect(startControlSurfaces(control, { http: { port: '8080' }, telegram: { allowedChatIds: [] } })).rejects.toThrow(
      new ConfigError('http.port: Invalid input: expected number, received string; telegram.allowedChatIds: at least one chat id', 'interfaces'),
    );
    await expect(startControlSurfaces(control, { htp: {} })).rejects.toThrow('interfaces: (root): Unrecognized key: "htp"');
  });
});
