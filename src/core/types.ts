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
 *
 * `bracket` protects each fill this target leads to (see `BracketSpec`); it overrides the strategy's bracket
 * from its config for this target, and `null` sends the target without one.
 */
export interface TargetPosition {
  readonly kind?: 'target';
  readonly ts: number;
  readonly target: number;
  readonly reason?: string;
  readonly bracket?: BracketSpec | null;
}

/**
 * Protective orders placed for the whole position each fill of the strategy's own order leaves, one
 * cancelling the other: a stop-loss (STOP), a take-profit (LIMIT) and/or a trailing stop (TRAILING, instead of
 * the stop-loss). Distances are whole ticks of the contract's `tickSize` from the fill price (long: the stop
 * below, the take-profit above; short: mirrored); a `…Price` is a fixed level instead.
 */
export interface BracketSpec {
  readonly stopLossTicks?: number;
  readonly stopLossPrice?: number;
  readonly takeProfitTicks?: number;
  readonly takeProfitPrice?: number;
  readonly trailingStopTicks?: number;
  /** Percent of the price (2 = 2 %), as IB's `trailingPercent`. */
  readonly trailingStopPercent?: number;
}

/** How far a trailing stop follows the price: whole ticks, or a percent of the price (2 = 2 %). */
export type Trail = { readonly ticks: number } | { readonly percent: number };

/**
 * How long an order works:
 * - `GTC` (the default): until filled or cancelled;
 * - `IOC`: tried on the first bar it may fill on (live: at once); what does not fill is cancelled;
 * - `{ type: 'DAY', end: 'HH:MM', zone }`: until the next `end` wall time in `zone` after the decision (a
 *   session end such as 17:00 America/New_York);
 * - `{ type: 'GTD', until }`: until an instant (epoch ms).
 * Market orders fill on the next bar whatever their time in force (as in Backtrader).
 */
export type TimeInForce =
  | 'GTC'
  | 'IOC'
  | { readonly type: 'DAY'; readonly end: string; readonly zone: string }
  | { readonly type: 'GTD'; readonly until: number };

/**
 * An explicit order a strategy places (beside targets). `clientId` is the strategy's own name for it (unique
 * among its working orders): later intents cancel or modify it by that name. The bracket children of the
 * strategy's current position answer to `stopLoss`, `takeProfit` and `trailingStop`.
 *
 * - `protective: true` marks an exit that protects the position (a stop-loss, a take-profit): it never counts
 *   as working in target − (position + working), target changes cancel it, and limits never refuse it.
 * - `oco`: orders of the strategy naming the same group cancel each other when one fills.
 * - `bracket`: protective orders for the position each fill of this order leaves.
 * - STOP_LIMIT: `stopPrice` triggers, then it is a limit order at `limitPrice`. TRAILING: `trail` from
 *   `stopPrice` (the initial stop) or, without it, from the last close.
 */
export interface PlaceOrderIntent {
  readonly kind: 'place';
  readonly ts: number;
  readonly clientId: string;
  readonly side: Side;
  /** Contracts, > 0. */
  readonly contracts: number;
  readonly type: OrderType;
  readonly limitPrice?: number;
  readonly stopPrice?: number;
  readonly trail?: Trail;
  readonly tif?: TimeInForce;
  readonly oco?: string;
  readonly protective?: boolean;
  readonly bracket?: BracketSpec;
}

/** Cancel the strategy's working order named `clientId` (nothing happens when it is not working). */
export interface CancelOrderIntent {
  readonly kind: 'cancel';
  readonly ts: number;
  readonly clientId: string;
}

/** New prices (or trailing distance) for the strategy's working order named `clientId`. */
export interface ModifyOrderIntent {
  readonly kind: 'modify';
  readonly ts: number;
  readonly clientId: string;
  readonly limitPrice?: number;
  readonly stopPrice?: number;
  readonly trail?: Trail;
}

export type OrderIntent = PlaceOrderIntent | CancelOrderIntent | ModifyOrderIntent;

/** What a strategy emits: target positions and order intents. */
export type StrategyOutput = TargetPosition | OrderIntent;

/** What a strategy that asks for them sees: closed bars and its OWN fills. */
export type StrategyInput = Bar | Fill;

/** Who decided: the graph stamps each strategy output with the strategy's id and symbol. */
export interface Stamp {
  readonly strategyId: string;
  readonly symbol: string;
}

/** A strategy's TargetPosition as the order path sees it: stamped by the graph with the strategy's id and symbol. */
export interface Signal extends TargetPosition, Stamp {}

/** A strategy's order intent, stamped like a Signal. */
export type StampedIntent = OrderIntent & Stamp;

/** What reaches the order path from the strategies. */
export type Decision = Signal | StampedIntent;

export type Side = 'BUY' | 'SELL';
export type OrderType = 'MARKET' | 'LIMIT' | 'STOP' | 'STOP_LIMIT' | 'TRAILING';

/**
 * Why an order exists; its fills, and the trade a fill closes, carry it.
 * - from targets: `entry` (opens or adds), `exit` (reduces or closes), `reverse` (crosses zero);
 * - a strategy's explicit orders: `limit` (LIMIT), `stopEntry` (STOP, STOP_LIMIT, TRAILING, MARKET);
 * - protective orders: `stop` (stop-loss), `takeProfit`, `trailingStop`.
 */
export type OrderReason = 'entry' | 'exit' | 'reverse' | 'limit' | 'stopEntry' | 'stop' | 'takeProfit' | 'trailingStop';

export interface Order {
  /**
   * Deterministic from (strategy id, symbol, decision ts, sequence within that decision), see `orderIdOf`;
   * a protective child's is its parent's id and a suffix (`.sl`, `.tp`, `.trail`).
   */
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
  /** STOP / STOP_LIMIT: the trigger; TRAILING: the initial stop. */
  readonly stopPrice?: number;
  /** TRAILING: how far the stop follows the price. */
  readonly trail?: Trail;
  /** Absent: GTC. */
  readonly tif?: TimeInForce;
  /** DAY and GTD: the instant the order stops working (resolved from `tif` when the order is made). */
  readonly expiresAt?: number;
  readonly reason: OrderReason;
  /** A protective child: held by the broker until this order fills. */
  readonly parentId?: string;
  /** Orders sharing a group: a fill of one cancels the others (one-cancels-other). */
  readonly ocaGroup?: string;
}

export type OrderStatus = 'Accepted' | 'Rejected' | 'Submitted' | 'PartiallyFilled' | 'Filled' | 'Cancelled';

/** Why an order was refused. Reports count these. */
export type RejectReason =
  | 'MAX_POSITION'
  | 'MAX_ORDER_SIZE'
  | 'MAX_GROSS_NOTIONAL'
  | 'MAX_DAILY_LOSS'
  | 'ORDER_RATE'
  | 'MAX_LOSS_PER_TRADE'
  | 'KILL_SWITCH'
  /** The strategy is flattened until resumed: its orders are refused. */
  | 'FLATTENED'
  | 'DISCONNECTED'
  | 'BROKER';

/** Why an order was cancelled. */
export type CancelReason =
  /** The strategy (or a person) asked. */
  | 'REQUESTED'
  /** The strategy's target changed: its protective orders go before its new order. */
  | 'TARGET_CHANGED'
  /** A newer bracket protects the position. */
  | 'REPLACED'
  /** The kill switch went on: entries that were working go. */
  | 'KILL_SWITCH'
  /** The operator flattened the strategy: every working order of it goes, protective ones included. */
  | 'FLATTEN'
  /** Another order of its one-cancels-other group filled. */
  | 'OCO'
  /** Its parent ended unfilled. */
  | 'PARENT'
  /** Its time in force ran out. */
  | 'EXPIRED';

/**
 * An order's life: `Accepted` / `Rejected` by the risk gate, then the broker's `Submitted` (also after a
 * modification: `order` is then the new version), `PartiallyFilled`, `Filled`, `Cancelled` or `Rejected`.
 */
export interface OrderEvent {
  readonly kind: 'order';
  readonly status: OrderStatus;
  readonly order: Order;
  readonly ts: number;
  /** Units filled so far (for PartiallyFilled / Filled). */
  readonly filledQty?: number;
  readonly reason?: RejectReason;
  readonly cancelReason?: CancelReason;
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
  /** The order's reason. */
  readonly reason: OrderReason;
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
  /** The reason of the fill that opened the trade. */
  readonly entryReason: OrderReason;
  /** The reason of the fill that closed it: `exit`, `stop`, `takeProfit`, … */
  readonly exitReason: OrderReason;
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
