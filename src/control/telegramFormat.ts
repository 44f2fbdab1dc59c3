import type { Position } from '../core/types';
import type { ControlEvent, EngineStatus, PnlSummary } from './control';

/**
 * Chat texts for the Telegram bot: engine state as short lines, rendered as plain text or MarkdownV2.
 * Everything is built as plain text first and escaped once at rendering, so no value (a reason, a strategy
 * id with "_" or "-") can break Telegram's entity parser.
 */
export interface ChatMessage {
  readonly title: string;
  readonly lines: readonly string[];
}

export type ParseMode = 'MarkdownV2' | 'plain';

/** Telegram refuses messages longer than 4096 characters (after entity parsing). */
export const TELEGRAM_MAX_MESSAGE_CHARS = 4096;
/** Raw lines are cut to this length before escaping, so an escaped piece (≤ 2×) always fits a message. */
const MAX_RAW_LINE_CHARS = 1000;

const MARKDOWN_V2_SPECIALS = /[_*[\]()~`>#+\-=|{}.!\\]/g;

/** Escapes text for MarkdownV2 outside entities: every special character gets a backslash. */
export function escapeMarkdownV2(text: string): string {
  return text.replace(MARKDOWN_V2_SPECIALS, '\\$&');
}

/** One or more texts, each within Telegram's size limit, split at line boundaries. */
export function renderMessage(message: ChatMessage, mode: ParseMode): string[] {
  const escape = mode === 'MarkdownV2' ? escapeMarkdownV2 : (text: string) => text;
  const header = mode === 'MarkdownV2' ? `*${escapeMarkdownV2(message.title)}*` : message.title;
  const pieces: string[] = [header];
  for (const line of message.lines) {
    for (let start = 0; start < line.length || start === 0; start += MAX_RAW_LINE_CHARS) {
      pieces.push(escape(line.slice(start, start + MAX_RAW_LINE_CHARS)));
    }
  }
  const texts: string[] = [];
  let current = '';
  for (const piece of pieces) {
    if (current !== '' && current.length + 1 + piece.length > TELEGRAM_MAX_MESSAGE_CHARS) {
      texts.push(current);
      current = piece;
    } else {
      current = current === '' ? piece : `${current}\n${piece}`;
    }
  }
  texts.push(current);
  return texts;
}

export function isoSeconds(ts: number): string {
  return Number.isFinite(ts) ? `${new Date(ts).toISOString().slice(0, 19)}Z` : String(ts);
}

const money = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const units = new Intl.NumberFormat('en-US', { maximumFractionDigits: 8, signDisplay: 'exceptZero' });
const plainUnits = new Intl.NumberFormat('en-US', { maximumFractionDigits: 8 });

function duration(ms: number): string {
  const totalMinutes = Math.max(0, Math.floor(ms / 60_000));
  const days = Math.floor(totalMinutes / 1440);
  const hours = Math.floor((totalMinutes % 1440) / 60);
  const minutes = totalMinutes % 60;
  return days > 0 ? `${days}d ${hours}h ${minutes}m` : `${hours}h ${minutes}m`;
}

export function statusMessage(status: EngineStatus): ChatMessage {
  const bars = Object.entries(status.lastBarTs).map(([symbol, ts]) => `  ${symbol} last bar ${isoSeconds(ts)}`);
  const kill = status.killSwitch.on
    ? `kill switch: ON since ${status.killSwitch.since === null ? 'start' : isoSeconds(status.killSwitch.since)} (${status.killSwitch.reason})`
    : 'kill switch: off';
  return {
    title: 'Status',
    lines: [
      `mode: ${status.mode}, connection: ${status.connection}`,
      kill,
      `started: ${isoSeconds(status.startedAt)} (up ${duration(status.now - status.startedAt)})`,
      `bars seen: ${plainUnits.format(status.barsSeen)}`,
      ...bars,
      `strategies: ${status.strategies.length > 0 ? status.strategies.join(', ') : 'none yet'}`,
      ...Object.entries(status.halts).map(([id, h]) => `  ${id}: ${h.halt === 'flat' ? 'flattened, held flat' : 'killed'} (${h.reason})`),
    ],
  };
}

export function positionsMessage(positions: readonly Position[], accountCurrency: string): ChatMessage {
  const open = positions.filter((p) => p.qty !== 0);
  return {
    title: 'Positions',
    lines:
      open.length === 0
        ? ['no open positions']
        : open.map(
            (p) =>
              `${p.strategyId} ${p.symbol} ${units.format(p.qty)} @ ${p.avgPrice}, unrealized ${money.format(p.unrealizedPnl)} (${money.format(p.unrealizedPnlAccount)} ${accountCurrency})`,
          ),
  };
}

export function pnlMessage(pnl: PnlSummary): ChatMessage {
  const ccy = pnl.accountCurrency;
  const lines = pnl.strategies.map(
    (s) =>
      `${s.strategyId}: realized ${money.format(s.realizedAccount)}, unrealized ${money.format(s.unrealizedAccount)}, total ${money.format(s.totalAccount)}`,
  );
  lines.push(
    `all: realized ${money.format(pnl.realizedAccount)}, unrealized ${money.format(pnl.unrealizedAccount)}, total ${money.format(pnl.totalAccount)}`,
  );
  if (pnl.equity !== null) lines.push(`equity: ${money.format(pnl.equity.equity)} at ${isoSeconds(pnl.equity.ts)}`);
  return { title: `PnL (${ccy})`, lines };
}

export function helpMessage(): ChatMessage {
  return {
    title: 'Commands',
    lines: [
      '/status - mode, connection, kill switch, last bars',
      '/positions - open positions',
      '/pnl - realized and unrealized PnL per strategy',
      '/kill <reason> - engine-wide kill switch: no new exposure, exits still pass',
      '/resume - kill switch off and every strategy resumed (re-aligned with its target)',
      '/kill_strategy <strategyId> <reason> - one strategy\'s kill switch',
      '/resume_strategy <strategyId> - end one strategy\'s kill or flatten',
      '/flatten <strategyId|all> - cancel its orders, close at market, hold flat until resumed',
      '/reconcile <symbol> [strategyId] - book the broker\'s position in a symbol the engine stopped (live, journaled)',
      '/help - this list',
    ],
  };
}

/**
 * The events worth a push notification: fills, rejections, connection changes, kill-switch changes and
 * warnings. Other order lifecycle steps (accepted, submitted…) are left to /status and the HTTP API.
 */
export function eventMessage(event: ControlEvent): ChatMessage | undefined {
  switch (event.kind) {
    case 'fill': {
      const f = event.fill;
      return {
        title: `Fill ${f.strategyId}`,
        lines: [`${f.side} ${plainUnits.format(f.qty)} ${f.symbol} @ ${f.price} (order ${f.orderId}, ${isoSeconds(f.ts)})`],
      };
    }
    case 'order': {
      const e = event.order;
      if (e.status !== 'Rejected') return undefined;
      const why = [e.reason, e.message].filter((part): part is string => part !== undefined && part !== '').join(': ');
      return {
        title: `Rejected ${e.order.id}`,
        lines: [`${e.order.side} ${plainUnits.format(e.order.qty)} ${e.order.symbol}${why === '' ? '' : ` - ${why}`}`],
      };
    }
    case 'connection':
      // A new attempt of the same reconnection is not news in a chat.
      if (event.state === event.previous) return undefined;
      return { title: `Connection ${event.state}`, lines: [`was ${event.previous}, at ${isoSeconds(event.ts)}`] };
    case 'bar':
    case 'book':
      return undefined;
    case 'killSwitch':
      return { title: `Kill switch ${event.on ? 'ON' : 'off'}`, lines: [event.reason] };
    case 'halt':
      return { title: `${event.strategyId} ${event.halt === null ? 'resumed' : event.halt === 'flat' ? 'flattened' : 'killed'}`, lines: [event.reason] };
    case 'notice':
      return event.level === 'info' ? undefined : { title: event.level === 'error' ? 'Error' : 'Warning', lines: [event.message] };
  }
}
