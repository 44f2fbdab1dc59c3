import { ConfigError } from '../core/errors';
import { isProtective } from '../core/orders';
import { contractFor } from '../core/contracts';
import { DAY_MS } from '../core/time';
import type { Bar, ContractBook, ContractSpec, EquityPoint, Fill, OrderEvent, OrderReason, Trade } from '../core/types';
import { newPriceCell, recordRate, resolveConversion, toAccount, type Conversion, type PriceCell } from './currency';
import { ACCOUNT_ID, type PositionSnapshot, type WorkingOrder } from './types';

/** Quantities closer to zero than this (units) are zero: guards sums of fractional contracts. */
const QTY_EPSILON = 1e-9;

export interface BookOptions {
  readonly contracts: ContractBook;
  readonly accountCurrency: string;
  /** Account currency. */
  readonly initialCash: number;
  /**
   * Resolution of the kept equity curves: one point per interval of bar close time (the last mark in it).
   * Default one UTC day, so memory grows with days, not bars; 0 keeps a point per mark.
   */
  readonly equityIntervalMs?: number;
  /**
   * Remember every execId and finished order id, so a broker that replays executions or sends late statuses
   * after a reconnect can neither double a fill nor revive a finished order. For live brokers. Off by default:
   * replay brokers report each execution once, and the memory and hashing would grow with every fill of a
   * long replay.
   */
  readonly dedupe?: boolean;
  /**
   * The symbols whose bars the stream carries: only their closes convert other instruments' PnL into the
   * account currency (see `resolveConversion`), so a conversion no loaded symbol can make is an error when
   * the run starts. Default: any contract, a rate not seen yet then being an error at its first use.
   */
  readonly pricedSymbols?: readonly string[];
}

/** What applying a fill did. */
export interface FillResult {
  /** False when the fill's execId was applied before (with `dedupe`: a broker replaying executions). */
  readonly applied: boolean;
  /** The round trip the fill closed (a reversing fill closes one and opens the next). */
  readonly closedTrade?: Trade;
}

/**
 * The portfolio: positions, average prices, realized and
 * unrealized PnL per (strategy, symbol) and per account (all strategies netted per symbol), in the quote
 * currency and in the account currency; the trade list; working orders; equity.
 *
 * Conventions:
 * - Quantities are signed units. Average price is the average cost of the open quantity: adding re-averages,
 *   reducing leaves it unchanged and realizes `closed × (price − avg)` (signed), a reversal realizes the
 *   whole old position and opens the remainder at the fill price.
 * - Realized PnL (gross) and commission are booked separately; each is converted to the account currency at
 *   the rate of its fill. Unrealized PnL is converted at the current mark. Equity = initial cash + realized −
 *   commission + unrealized, all in the account currency. A strategy's equity is the same sum over its own
 *   positions, as if it had the account alone (Backtrader running that leg by itself).
 * - Trades (per strategy only): a trade opens when the position leaves zero and closes when it returns to
 *   zero. A partial reduce keeps it open (Backtrader-like); a reversing fill closes it and opens the next with
 *   the remainder, its commission split pro rata by quantity. A closed trade's qty is all units it opened,
 *   entryPrice / exitPrice the quantity-weighted prices of its opening / closing fills, so
 *   pnl = qty × (exit − entry) signed by side equals the realized PnL of its closing fills even with adds and
 *   partial closes; pnlNet = pnl − entry and exit commission. pnlNetAccount is the same money as the book
 *   booked it: the realized PnL of each closing fill at that fill's rate, minus each commission at the rate
 *   of the fill that paid it, so the closed trades' pnlNetAccount add up exactly to the equity they moved. A
 *   trade's entryReason / exitReason are the reasons of the fills that opened and closed it (a stop-loss exit
 *   is `stop`).
 * - Working orders: an order is working from `Accepted` (or any live status for an order not seen before)
 *   until its fills cover it or it is `Cancelled` / `Rejected`. Fills, not the `Filled` status, reduce it, so
 *   a live broker reporting the status before the execution never makes the order vanish early. A later
 *   `Submitted` with another version of the order (a modification) replaces it. Protective orders (stop-loss,
 *   take-profit, trailing stop) are working orders but never count in `working` / `accountWorking`: they exit
 *   a position that is already counted.
 * - With `dedupe`, a fill whose execId was applied before is ignored (returns `applied: false`) and a late
 *   status of a finished order does not make it working again.
 */
export interface BookView {
  readonly accountCurrency: string;
  readonly initialCash: number;
  readonly contracts: ContractBook;
  /** Signed units held by a strategy. */
  position(strategyId: string, symbol: string): number;
  /** Signed units of a strategy's orders still working, protective orders not counted. */
  working(strategyId: string, symbol: string): number;
  /** Signed units held by the account (all strategies). */
  accountPosition(symbol: string): number;
  accountWorking(symbol: string): number;
  /** Last close seen for the symbol, undefined before its first bar. */
  lastPrice(symbol: string): number | undefined;
  /** Symbols the account has held or ordered. */
  symbols(): readonly string[];
  /**
   * |units| of `symbol` valued at its last close in the account currency (for USDJPY and a USD account,
   * exactly |units|). Throws when the symbol has no price yet.
   */
  notionalAccount(symbol: string, units: number): number;
  /** Equity in the account currency now (account, or one strategy as if alone). */
  equity(strategyId?: string): number;
  /**
   * `equity(strategyId)` of a tracked strategy as a function, the strategy looked up once: for a loop that
   * reads many strategies' equity on every bar (a sweep's pass), where the lookup by id cost more than the read.
   * Throws for a strategy the book does not know.
   */
  equityReader(strategyId: string): () => number;
  /**
   * Account equity at the start of the UTC day of `ts` (the equity of the last mark of the previous day;
   * initial cash on the first day; the current equity when no bar of that day has been marked yet).
   */
  dayStartEquity(ts: number): number;
  positions(): readonly PositionSnapshot[];
  accountPositions(): readonly PositionSnapshot[];
  /** Closed trades in closing order. */
  trades(): readonly Trade[];
  /** Every working order, protective ones included, in the order they started working. */
  workingOrders(): readonly WorkingOrder[];
  /** A strategy's working orders in a symbol, protective ones included. */
  workingOrdersOf(strategyId: string, symbol: string): readonly WorkingOrder[];
  workingOrder(orderId: string): WorkingOrder | undefined;
  /** Equity curve (account, or a strategy), one point per `equityIntervalMs` plus the latest mark. */
  equityCurve(strategyId?: string): readonly EquityPoint[];
}

/**
 * The book with its writes. In a graph only its ledger (`markToMarket`) writes it, and the graph registers
 * its strategies (`track`); everything else reads it as a `BookView`.
 */
export interface Book extends BookView {
  /** Registers a (strategy, symbol) ahead of its first fill so it appears in positions and equity curves. */
  track(strategyId: string, symbol: string): void;
  applyFill(fill: Fill): FillResult;
  applyOrderEvent(event: OrderEvent): void;
  /** Records the bar's close as the symbol's mark; returns the account equity at that close. */
  mark(bar: Bar): number;
}

interface OpenTrade {
  readonly side: 'LONG' | 'SHORT';
  readonly entryTs: number;
  readonly entryReason: OrderReason;
  entryPrice: number;
  openedQty: number;
  entryCommission: number;
  exitPrice: number;
  closedQty: number;
  exitCommission: number;
  /** Account currency: realized PnL at each closing fill's rate, less each commission at its fill's rate. */
  netAccount: number;
}

interface Owner {
  readonly id: string;
  /** Realized − commission, account currency. */
  cash: number;
  readonly ledgers: Ledger[];
  readonly bySymbol: Map<string, Ledger>;
  /** Equity at the last mark. */
  equity: number;
  /** `equity` is still exact: no fill of this owner since it was computed (prices change only on marks). */
  sampled: boolean;
  readonly curve: EquityPoint[];
}

interface Ledger {
  readonly owner: Owner;
  readonly symbol: string;
  readonly spec: ContractSpec;
  readonly price: PriceCell;
  readonly conversion: Conversion;
  readonly keepsTrades: boolean;
  qty: number;
  avgPrice: number;
  realized: number;
  realizedAccount: number;
  commission: number;
  commissionAccount: number;
  working: number;
  /** Its working orders, protective ones included (a strategy's order path asks for them on every decision). */
  readonly orders: WorkingEntry[];
  trade: OpenTrade | undefined;
}

interface WorkingEntry {
  /** The current version (a modification replaces it). */
  order: WorkingOrder['order'];
  readonly ledger: Ledger;
  readonly accountLedger: Ledger;
  /** What one unit left of it adds to the working units: ±1, and 0 for a protective order (never counted). */
  readonly weight: number;
  remaining: number;
}

const DUPLICATE: FillResult = Object.freeze({ applied: false });
const APPLIED: FillResult = Object.freeze({ applied: true });
const NO_WORKING_ORDERS: readonly WorkingOrder[] = Object.freeze([]);

export function createBook(options: BookOptions): Book {
  const { contracts, accountCurrency, initialCash } = options;
  if (!/^[A-Z]{3}$/.test(accountCurrency)) {
    throw new ConfigError(`account currency must be a three-letter ISO code such as "USD", got "${accountCurrency}"`);
  }
  if (!Number.isFinite(initialCash)) throw new ConfigError(`initial cash must be a finite number, got ${initialCash}`);
  const equityIntervalMs = options.equityIntervalMs ?? DAY_MS;
  if (!(equityIntervalMs >= 0) || !Number.isFinite(equityIntervalMs)) {
    throw new RangeError(`equityIntervalMs must be a finite number ≥ 0, got ${equityIntervalMs}`);
  }

  const cells = new Map<string, PriceCell>();
  const cellOf = (symbol: string): PriceCell => {
    let cell = cells.get(symbol);
    if (cell === undefined) {
      cell = newPriceCell(symbol);
      cells.set(symbol, cell);
    }
    return cell;
  };
  const priced = options.pricedSymbols === undefined ? undefined : new Set(options.pricedSymbols);
  const conversions = new Map<string, Conversion>();
  const conversionOf = (spec: ContractSpec): Conversion => {
    let c = conversions.get(spec.symbol);
    if (c === undefined) {
      c = resolveConversion(spec, accountCurrency, contracts, cellOf, priced);
      conversions.set(spec.symbol, c);
    }
    return c;
  };

  const newOwner = (id: string): Owner => ({ id, cash: 0, ledgers: [], bySymbol: new Map(), equity: initialCash, sampled: true, curve: [] });
  const account = newOwner(ACCOUNT_ID);
  const strategies = new Map<string, Owner>();
  /** Strategies in registration order, for the per-mark equity loop. */
  const strategyList: Owner[] = [];
  const workingById = new Map<string, WorkingEntry>();
  const dedupe = options.dedupe ?? false;
  const finishedOrders = new Set<string>();
  const execIds = new Set<string>();
  const closedTrades: Trade[] = [];

  // Per-mark state in an object's number fields: V8 updates those in place, while every write of a double
  // to a closure variable allocates a fresh heap number (once per bar here).
  // `maxIntervalMs`: the longest bar marked, how far back a rate's closes are kept (see `RateHistory`).
  const clock = { now: 0, markedDay: Number.NaN, dayStart: initialCash, period: Number.NaN, lastMarkTs: Number.NaN, maxIntervalMs: 0 };
  let cachedSymbol = '';
  let cachedCell: PriceCell | undefined;
  /**
   * The account's equity is the sum of what its strategies booked, not a valuation of the netted account
   * ledgers: netting realizes quote-currency PnL on other fills, so at other conversion rates, and the
   * account total would drift (by cents) from the sum of the strategies a report lists.
   */
  const sampleAccountEquity = (): number => {
    let equity = initialCash;
    for (let i = 0; i < strategyList.length; i++) {
      const owner = strategyList[i];
      owner.equity = equityOf(owner);
      owner.sampled = true;
      equity += owner.equity - initialCash;
    }
    return equity;
  };

  const ledgerOf = (owner: Owner, symbol: string): Ledger => {
    let ledger = owner.bySymbol.get(symbol);
    if (ledger === undefined) {
      const spec = contractFor(contracts, symbol);
      ledger = {
        owner,
        symbol,
        spec,
        price: cellOf(symbol),
        conversion: conversionOf(spec),
        keepsTrades: owner !== account,
        qty: 0,
        avgPrice: 0,
        realized: 0,
        realizedAccount: 0,
        commission: 0,
        commissionAccount: 0,
        working: 0,
        orders: [],
        trade: undefined,
      };
      owner.bySymbol.set(symbol, ledger);
      owner.ledgers.push(ledger);
    }
    return ledger;
  };

  const strategyOwner = (strategyId: string): Owner => {
    if (strategyId === ACCOUNT_ID) {
      throw new ConfigError(`strategy id "${ACCOUNT_ID}" is reserved for account-level positions`);
    }
    let owner = strategies.get(strategyId);
    if (owner === undefined) {
      owner = newOwner(strategyId);
      strategies.set(strategyId, owner);
      strategyList.push(owner);
    }
    return owner;
  };

  const unrealizedAccount = (ledger: Ledger): number => {
    if (ledger.qty === 0) return 0;
    const last = ledger.price.last;
    if (Number.isNaN(last)) return 0;
    return toAccount(ledger.qty * (last - ledger.avgPrice), ledger.conversion, last);
  };

  const equityOf = (owner: Owner): number => {
    let equity = initialCash + owner.cash;
    const ledgers = owner.ledgers;
    for (let i = 0; i < ledgers.length; i++) {
      if (ledgers[i].qty !== 0) equity += unrealizedAccount(ledgers[i]);
    }
    return equity;
  };
  /** A strategy's equity now: the one its last mark computed (the runner asks right after it), else computed. */
  const currentEquityOf = (owner: Owner): number => (owner.sampled ? owner.equity : equityOf(owner));

  /** Applies a fill to one ledger; returns the trade it closed, if any. */
  const applyToLedger = (ledger: Ledger, fill: Fill): Trade | undefined => {
    const q = fill.qty;
    const price = fill.price;
    const sign = fill.side === 'BUY' ? 1 : -1;
    const commissionAccount = toAccount(fill.commission, ledger.conversion, price, fill.ts);
    ledger.commission += fill.commission;
    ledger.commissionAccount += commissionAccount;
    ledger.owner.cash -= commissionAccount;

    const before = ledger.qty;
    let realizedAccount = 0;
    let closeQty = 0;
    if (before !== 0 && Math.sign(before) !== sign) closeQty = Math.min(q, Math.abs(before));
    let openQty = q - closeQty;
    if (openQty < QTY_EPSILON) openQty = 0;
    if (closeQty > 0) {
      const realized = closeQty * (price - ledger.avgPrice) * Math.sign(before);
      realizedAccount = toAccount(realized, ledger.conversion, price, fill.ts);
      ledger.realized += realized;
      ledger.realizedAccount += realizedAccount;
      ledger.owner.cash += realizedAccount;
    }
    let after = before + sign * q;
    if (Math.abs(after) < QTY_EPSILON) after = 0;
    if (after === 0) ledger.avgPrice = 0;
    else if (openQty > 0) {
      const held = Math.abs(before);
      ledger.avgPrice = closeQty > 0 || held === 0 ? price : (held * ledger.avgPrice + openQty * price) / (held + openQty);
    }
    ledger.qty = after;
    if (!ledger.keepsTrades) return undefined;

    let closed: Trade | undefined;
    const trade = ledger.trade;
    if (closeQty > 0 && trade !== undefined) {
      trade.exitPrice =
        trade.closedQty === 0 ? price : (trade.exitPrice * trade.closedQty + closeQty * price) / (trade.closedQty + closeQty);
      trade.closedQty += closeQty;
      const exitShare = openQty === 0 ? 1 : closeQty / q;
      trade.exitCommission += fill.commission * exitShare;
      trade.netAccount += realizedAccount - commissionAccount * exitShare;
      if (after === 0 || openQty > 0) {
        const direction = trade.side === 'LONG' ? 1 : -1;
        const pnl = direction * trade.openedQty * (trade.exitPrice - trade.entryPrice);
        const pnlNet = pnl - trade.entryCommission - trade.exitCommission;
        closed = {
          strategyId: ledger.owner.id,
          symbol: ledger.symbol,
          side: trade.side,
          qty: trade.openedQty,
          entryTs: trade.entryTs,
          exitTs: fill.ts,
          entryPrice: trade.entryPrice,
          exitPrice: trade.exitPrice,
          pnl,
          pnlNet,
          pnlNetAccount: trade.netAccount,
          entryReason: trade.entryReason,
          exitReason: fill.reason,
        };
        closedTrades.push(closed);
        ledger.trade = undefined;
      }
    }
    if (openQty > 0) {
      const entryShare = closeQty === 0 ? 1 : openQty / q;
      const entryCommission = fill.commission * entryShare;
      const entryCommissionAccount = commissionAccount * entryShare;
      const open = ledger.trade;
      if (open === undefined) {
        ledger.trade = {
          side: sign > 0 ? 'LONG' : 'SHORT',
          entryTs: fill.ts,
          entryReason: fill.reason,
          entryPrice: price,
          openedQty: openQty,
          entryCommission,
          exitPrice: 0,
          closedQty: 0,
          exitCommission: 0,
          netAccount: -entryCommissionAccount,
        };
      } else {
        open.entryPrice = (open.entryPrice * open.openedQty + openQty * price) / (open.openedQty + openQty);
        open.openedQty += openQty;
        open.entryCommission += entryCommission;
        open.netAccount -= entryCommissionAccount;
      }
    }
    return closed;
  };

  const dropWorking = (entry: WorkingEntry): void => {
    const signed = entry.weight * entry.remaining;
    entry.ledger.working -= signed;
    entry.accountLedger.working -= signed;
    if (Math.abs(entry.ledger.working) < QTY_EPSILON) entry.ledger.working = 0;
    if (Math.abs(entry.accountLedger.working) < QTY_EPSILON) entry.accountLedger.working = 0;
    workingById.delete(entry.order.id);
    const orders = entry.ledger.orders;
    orders.splice(orders.indexOf(entry), 1);
    if (dedupe) finishedOrders.add(entry.order.id);
  };

  /** A broker's new version of a working order: its quantity may have changed, what was filled has not. */
  const modifyWorking = (entry: WorkingEntry, order: WorkingEntry['order']): void => {
    const filled = entry.order.qty - entry.remaining;
    const remaining = Math.max(0, order.qty - filled);
    const change = entry.weight * (remaining - entry.remaining);
    entry.ledger.working += change;
    entry.accountLedger.working += change;
    entry.order = order;
    entry.remaining = remaining;
  };

  const applyFill = (fill: Fill): FillResult => {
    if (dedupe) {
      if (execIds.has(fill.execId)) return DUPLICATE;
      execIds.add(fill.execId);
    }
    if (fill.ts > clock.now) clock.now = fill.ts;
    const entry = workingById.get(fill.orderId);
    if (entry !== undefined) {
      const covered = Math.min(fill.qty, entry.remaining);
      entry.remaining -= covered;
      entry.ledger.working -= entry.weight * covered;
      entry.accountLedger.working -= entry.weight * covered;
      if (entry.remaining < QTY_EPSILON) {
        entry.remaining = 0;
        dropWorking(entry);
      }
    }
    applyToLedger(ledgerOf(account, fill.symbol), fill);
    const owner = strategyOwner(fill.strategyId);
    owner.sampled = false;
    const closedTrade = applyToLedger(ledgerOf(owner, fill.symbol), fill);
    return closedTrade === undefined ? APPLIED : { applied: true, closedTrade };
  };

  const applyOrderEvent = (event: OrderEvent): void => {
    const { order } = event;
    const known = workingById.get(order.id);
    switch (event.status) {
      case 'Accepted':
      case 'Submitted':
      case 'PartiallyFilled': {
        if (known !== undefined) {
          if (known.order !== order) modifyWorking(known, order);
          return;
        }
        if (finishedOrders.has(order.id)) return;
        const remaining = order.qty - (event.status === 'Accepted' ? 0 : (event.filledQty ?? 0));
        if (remaining < QTY_EPSILON) return;
        const weight = isProtective(order) ? 0 : order.side === 'BUY' ? 1 : -1;
        const entry: WorkingEntry = {
          order,
          ledger: ledgerOf(strategyOwner(order.strategyId), order.symbol),
          accountLedger: ledgerOf(account, order.symbol),
          weight,
          remaining,
        };
        entry.ledger.working += weight * remaining;
        entry.accountLedger.working += weight * remaining;
        workingById.set(order.id, entry);
        entry.ledger.orders.push(entry);
        return;
      }
      case 'Filled':
        // The fills reduce the order; an order whose status arrived before its executions stays working
        // until they do.
        if (known !== undefined && known.remaining === 0) dropWorking(known);
        return;
      case 'Cancelled':
      case 'Rejected':
        if (known !== undefined) dropWorking(known);
        else if (dedupe) finishedOrders.add(order.id);
        return;
    }
  };

  const mark = (bar: Bar): number => {
    let cell = cachedCell;
    if (bar.symbol !== cachedSymbol || cell === undefined) {
      cell = cellOf(bar.symbol);
      cachedSymbol = bar.symbol;
      cachedCell = cell;
    }
    const closeTs = bar.ts + bar.intervalMs;
    if (closeTs > clock.now) clock.now = closeTs;
    const day = Math.floor(closeTs / DAY_MS);
    if (day !== clock.markedDay) {
      clock.dayStart = account.equity;
      clock.markedDay = day;
    }
    const p = equityIntervalMs === 0 ? closeTs : Math.floor(closeTs / equityIntervalMs);
    if (p !== clock.period) {
      if (!Number.isNaN(clock.period)) {
        // Before this bar's price is recorded, `owner.equity` is still that of the last mark.
        account.curve.push({ ts: clock.lastMarkTs, equity: account.equity });
        for (let i = 0; i < strategyList.length; i++) {
          strategyList[i].curve.push({ ts: clock.lastMarkTs, equity: strategyList[i].equity });
        }
      }
      clock.period = p;
    }
    if (bar.intervalMs > clock.maxIntervalMs) clock.maxIntervalMs = bar.intervalMs;
    if (cell.history !== undefined) recordRate(cell.history, closeTs, bar.close, clock.maxIntervalMs);
    else {
      cell.previous = cell.last;
      cell.previousTs = cell.lastTs;
    }
    cell.last = bar.close;
    cell.lastTs = closeTs;
    clock.lastMarkTs = closeTs;
    account.equity = sampleAccountEquity();
    return account.equity;
  };

  const snapshot = (ledger: Ledger): PositionSnapshot => {
    const last = ledger.price.last;
    const unrealized = ledger.qty === 0 || Number.isNaN(last) ? 0 : ledger.qty * (last - ledger.avgPrice);
    return {
      strategyId: ledger.owner.id,
      symbol: ledger.symbol,
      ts: clock.now,
      qty: ledger.qty,
      avgPrice: ledger.avgPrice,
      realizedPnl: ledger.realized,
      unrealizedPnl: unrealized,
      realizedPnlAccount: ledger.realizedAccount,
      unrealizedPnlAccount: unrealizedAccount(ledger),
      commission: ledger.commission,
      commissionAccount: ledger.commissionAccount,
      working: ledger.working,
      lastPrice: last,
    };
  };

  const lookup = (strategyId: string, symbol: string): Ledger | undefined =>
    (strategyId === ACCOUNT_ID ? account : strategies.get(strategyId))?.bySymbol.get(symbol);

  return {
    accountCurrency,
    initialCash,
    contracts,
    track: (strategyId, symbol) => {
      ledgerOf(strategyOwner(strategyId), symbol);
      ledgerOf(account, symbol);
    },
    applyFill,
    applyOrderEvent,
    mark,
    position: (strategyId, symbol) => lookup(strategyId, symbol)?.qty ?? 0,
    working: (strategyId, symbol) => lookup(strategyId, symbol)?.working ?? 0,
    accountPosition: (symbol) => account.bySymbol.get(symbol)?.qty ?? 0,
    accountWorking: (symbol) => account.bySymbol.get(symbol)?.working ?? 0,
    lastPrice: (symbol) => {
      const last = cells.get(symbol)?.last;
      return last === undefined || Number.isNaN(last) ? undefined : last;
    },
    symbols: () => account.ledgers.map((l) => l.symbol),
    notionalAccount: (symbol, units) => {
      const spec = contractFor(contracts, symbol);
      if (units === 0) return 0;
      const size = Math.abs(units);
      if (spec.baseCurrency === accountCurrency) return size;
      const last = cells.get(symbol)?.last;
      if (last === undefined || Number.isNaN(last)) {
        throw new ConfigError(`no ${symbol} price seen yet to value ${size} units in ${accountCurrency}`);
      }
      return toAccount(size * last, conversionOf(spec), last);
    },
    equity: (strategyId) => {
      if (strategyId === undefined) return sampleAccountEquity();
      const owner = strategies.get(strategyId);
      if (owner === undefined) return initialCash;
      return currentEquityOf(owner);
    },
    equityReader: (strategyId) => {
      const owner = strategies.get(strategyId);
      if (owner === undefined) throw new RangeError(`equityReader: strategy "${strategyId}" is not tracked by the book`);
      return () => currentEquityOf(owner);
    },
    dayStartEquity: (ts) => (Math.floor(ts / DAY_MS) > clock.markedDay || Number.isNaN(clock.markedDay) ? sampleAccountEquity() : clock.dayStart),
    positions: () => strategyList.flatMap((owner) => owner.ledgers.map(snapshot)),
    accountPositions: () => account.ledgers.map(snapshot),
    trades: () => closedTrades,
    workingOrders: () => [...workingById.values()].map((e) => ({ order: e.order, remaining: e.remaining })),
    workingOrdersOf: (strategyId, symbol) => {
      const ledger = lookup(strategyId, symbol);
      if (ledger === undefined || ledger.orders.length === 0) return NO_WORKING_ORDERS;
      return ledger.orders.map((e) => ({ order: e.order, remaining: e.remaining }));
    },
    workingOrder: (orderId) => {
      const e = workingById.get(orderId);
      return e === undefined ? undefined : { order: e.order, remaining: e.remaining };
    },
    equityCurve: (strategyId) => {
      const owner = strategyId === undefined ? account : strategies.get(strategyId);
      if (owner === undefined) return [];
      return Number.isNaN(clock.lastMarkTs) ? owner.curve.slice() : [...owner.curve, { ts: clock.lastMarkTs, equity: owner.equity }];
    },
  };
}
