import { makeOrderEvent, T0 } from '../../test/support/controlFixtures';
import {
  escapeMarkdownV2,
  eventMessage,
  renderMessage,
  statusMessage,
  TELEGRAM_MAX_MESSAGE_CHARS,
} from './telegramFormat';

describe('escapeMarkdownV2', () => {
  it('puts a backslash before every character MarkdownV2 reserves, and only those', () => {
    expect(escapeMarkdownV2('_*[]()~`>#+-=|{}.!\\')).toBe('\\_\\*\\[\\]\\(\\)\\~\\`\\>\\#\\+\\-\\=\\|\\{\\}\\.\\!\\\\');
    expect(escapeMarkdownV2('USDJPY 150,25 ok?')).toBe('USDJPY 150,25 ok?');
  });
});

describe('renderMessage', () => {
  it('bolds the title in MarkdownV2 and leaves plain text alone', () => {
    const message = { title: 'PnL (USD)', lines: ['a-b: 1.5'] };
    expect(renderMessage(message, 'MarkdownV2')).toEqual(['*PnL \\(USD\\)*\na\\-b: 1\\.5']);
    expect(renderMessage(message, 'plain')).toEqual(['PnL (USD)\na-b: 1.5']);
  });

  it("splits at line boundaries to stay within Telegram's 4096 characters, cutting only overlong lines", () => {
    const lines = Array.from({ length: 300 }, (_, i) => `line ${i}.`.padEnd(40, '.'));
    const texts = renderMessage({ title: 'Positions', lines: [...lines, 'x'.repeat(2500)] }, 'MarkdownV2');
    expect(texts.length).toBeGreaterThan(1);
    expect(texts.every((t) => t.length <= TELEGRAM_MAX_MESSAGE_CHARS)).toBe(true);
    const unescaped = texts.join('\n').replace(/\\(.)/g, '$1').split('\n');
    expect(unescaped).toEqual(['*Positions*', ...lines, 'x'.repeat(1000), 'x'.repeat(1000), 'x'.repeat(500)]);
  });
});

describe('messages', () => {
  it('shows the kill switch with its reason and time, and each strategy halted, in /status', () => {
    const text = statusMessage({
      mode: 'live',
      startedAt: T0,
      now: T0 + 90 * 60_000,
      barsSeen: 12_345,
      lastBarTs: { USDJPY: T0 + 60_000 },
      connection: 'connected',
      connectionDetail: { since: T0 },
      killSwitch: { on: true, reason: 'drill', since: T0 + 30 * 60_000 },
      halts: { 'gotobi-b': { halt: 'flat', reason: 'end of day', since: T0 } },
      strategies: ['gotobi-a', 'gotobi-b'],
      accountCurrency: 'USD',
      lastSeq: 7,
      forming: [],
    });
    expect(text).toEqual({
      title: 'Status',
      lines: [
        'mode: live, connection: connected',
        'kill switch: ON since 2024-01-05T00:30:00Z (drill)',
        'started: 2024-01-05T00:00:00Z (up 1h 30m)',
        'bars seen: 12,345',
        '  USDJPY last bar 2024-01-05T00:01:00Z',
        'strategies: gotobi-a, gotobi-b',
        '  gotobi-b: flattened, held flat (end of day)',
      ],
    });
  });

  it('pushes rejections but not routine order steps or info notices', () => {
    expect(eventMessage({ kind: 'order', seq: 1, ts: T0, order: makeOrderEvent({ status: 'Submitted' }) })).toBeUndefined();
    expect(eventMessage({ kind: 'notice', seq: 2, ts: T0, level: 'info', message: 'started' })).toBeUndefined();
    expect(eventMessage({ kind: 'order', seq: 3, ts: T0, order: makeOrderEvent({ status: 'Rejected', reason: 'DISCONNECTED' }) })).toEqual({
      title: 'Rejected gotobi-a-1',
      lines: ['BUY 100,000 USDJPY - DISCONNECTED'],
    });
    expect(eventMessage({ kind: 'notice', seq: 4, ts: T0, level: 'error', message: 'feed failed' })).toEqual({ title: 'Error', lines: ['feed failed'] });
  });
});
