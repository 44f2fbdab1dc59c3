/**
 * The domain model every part of the graph speaks. Plain readonly objects: they are validated once at the
 * boundary (see `schemas.ts`) and trusted inside the hot path.
 *
 * Time: every `ts` is UTC epoch milliseconds. A `Bar`'s `ts` is the START of its interval; it closes at
 * `ts + intervalMs`. Quantities on orders, fills and positions are in UNITS (e.g. 100,000 USD for one
 * USDJPY contract); strategies speak CONTRACTS and the contract spec converts.
 */

/** A quote (bid/ask) or a trade print. */
export type Tick = QuoteTick | TradeTick;

export interface QuoteTick {
  readonly kind: 'quote';
  readonly symbol: string;
  readonly ts: number;
  readonly bid: number;
  readonly ask: number;
  readonly bidSize?: number;
  readonly askSize?: number;
}

export interface TradeTick {
  readonly kind: 'trade';
  readonly symbol: string;
  readonly ts: number;
  readonly price: number;
  readonly size: number;
}

/** OHLCV of one interval. `kind` tells it from ticks, fills and order events on a mixed stream. */
export interface Bar {
  readonly kind: 'bar';
  readonly symbol: string;
  /** Interval start, UTC epoch ms. */
  readonly ts: number;
  readonly intervalMs: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
}

/**
 * What a strategy decides: hold `target` contracts (signed; + long, − short, 0 flat) of the symbol it trades.
 * `ts` is the decision time: the END of the bar that produced it (`bar.ts + bar.intervalMs`).
 */
export interface TargetPosition {
  readonly ts: number;
  readonly target: number;
  readonly reason?: string;
}

/** A strategy's TargetPosition as the order path sees it: stamped by the graph with the strategy's id and symbol. */
export interface Signal extends TargetPosition {
  readonly strategyId: string;
  readonly symbol: string;
}

export type Side = 'BUY' | 'SELL';
export type OrderType = 'MARKET' | 'LIMIT' | 'STOP';

export interface Order {
  /** Deterministic: `${strategyId}-${sequence}`. */
  readonly id: string;
  readonly strategyId: string;
  readonly symbol: string;
  /** Decision time (end of the deciding bar). */
  readonly ts: number;
  readonly side: Side;
  /** Units, always > 0. */
  readonly qty: number;
  readonly type: OrderType;
  readonly limitPrice?: number;
  readonly stopPrice?: number;
}

export type OrderStatus = 'Accepted' | 'Rejected' | 'Submitted' | 'PartiallyFilled' | 'Filled' | 'Cancelled';

/** Why an order was refused. Reports count these. */
export type RejectReason =
  | 'MAX_POSITION'
  | 'MAX_ORDER_SIZE'
  | 'MAX_GROSS_NOTIONAL'
  | 'MAX_DAILY_LOSS'
  | 'ORDER_RATE'
  | 'KILL_SWITCH'
  | 'DISCONNECTED'
  | 'BROKER';

export interface OrderEvent {
  readonly kind: 'order';
  readonly status: OrderStatus;
  readonly order: Order;
  readonly ts: number;
  /** Units filled so far (for PartiallyFilled / Filled). */
  readonly filledQty?: number;
  readonly reason?: RejectReason;
  readonly message?: string;
}

export interface Fill {
  readonly kind: 'fill';
  /** Unique per execution; brokers deduplicate on it. */
  readonly execId: string;
  readonly orderId: string;
  readonly strategyId: string;
  readonly symbol: string;
  /** Replay: start of the bar whose open/through-price filled the order. Live: execution time. */
  readonly ts: number;
  readonly side: Side;
  /** Units, > 0. */
  readonly qty: number;
  readonly price: number;
  /** In the instrument's quote currency, ≥ 0. */
  readonly commission: number;
}

/** What `route` emits: order lifecycle events and fills, in the order they happened. */
export type ExecutionEvent = OrderEvent | Fill;

export interface Position {
  readonly strategyId: string;
  readonly symbol: string;
  readonly ts: number;
  /** Signed units. */
  readonly qty: number;
  /** Average entry price of the open quantity (0 when flat). */
  readonly avgPrice: number;
  /** Quote currency. */
  readonly realizedPnl: number;
  readonly unrealizedPnl: number;
  /** Account currency: realized at the rate of each realizing fill, unrealized at the current mark. */
  readonly realizedPnlAccount: number;
  readonly unrealizedPnlAccount: number;
  /** Commission paid so far, quote currency. */
  readonly commission: number;
}

/** A round trip: opens when a position leaves zero, closes when it returns to zero (or reverses). */
export interface Trade {
  readonly strategyId: string;
  readonly symbol: string;
  readonly side: 'LONG' | 'SHORT';
  /** Units, > 0. */
  readonly qty: number;
  readonly entryTs: number;
  readonly exitTs: number;
  readonly entryPrice: number;
  readonly exitPrice: number;
  /** Quote currency: qty × (exit − entry), signed by side. */
  readonly pnl: number;
  /** pnl − entry and exit commission (pro rata on partial/reversing fills). */
  readonly pnlNet: number;
  /**
   * pnlNet in the account currency as booked: realized PnL at each closing fill's rate, each commission at
   * the rate of the fill that paid it (so closed trades add up exactly to the equity they moved).
   */
  readonly pnlNetAccount: number;
}

/** One point of an equity curve, in the account currency. */
export interface EquityPoint {
  readonly ts: number;
  readonly equity: number;
}

export type SecType = 'CASH' | 'STK' | 'FUT' | 'CFD' | 'CMDTY' | 'IND';

/**
 * How a symbol trades: units per contract, price grid and currencies. A venue's own names for the instrument
 * (the `ib` block of `config/contracts.json`) belong to that venue's adapter (`src/adapters/ibkr/contracts.ts`).
 */
export interface ContractSpec {
  readonly symbol: string;
  readonly secType: SecType;
  readonly baseCurrency: string;
  readonly quoteCurrency: string;
  /** Units per contract (FX: 100,000). */
  readonly multiplier: number;
  /** Smallest price increment of the data/price grid. */
  readonly tickSize: number;
  readonly exchange: string;
}

export type ContractBook = Readonly<Record<string, ContractSpec>>;
