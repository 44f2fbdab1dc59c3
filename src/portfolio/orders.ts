import type { OperatorFunction } from 'rxjs';
import { operate } from '../../operators/operate';
import { ConfigError } from '../core/errors';
import { contractFor } from '../core/contracts';
import { bracketProblem, CHILD_SUFFIX, expiryOf, isProtective, isProtectiveReason, isTarget, orderIdsOf, orderPriceProblem, reasonOfChange, trailingStopFrom } from '../core/orders';
import { haltOf, type StrategyHalt, type TradingHalts } from '../core/halts';
import { offsetTicks } from '../core/ticks';
import type {
  BracketSpec,
  CancelReason,
  ContractBook,
  ContractSpec,
  Decision,
  Fill,
  ModifyOrderIntent,
  Order,
  OrderEvent,
  OrderReason,
  PlaceOrderIntent,
  Side,
  Signal,
  Stamp,
  StampedIntent,
  Trail,
} from '../core/types';
import type { Sizer } from '../risk/sizers';
import type { WorkingOrder } from './types';

/** What the order path asks of the broker, through the risk gate. */
export type OrderCommand = PlaceCommand | CancelCommand | ModifyCommand | HaltsChange;

/** Place `order` with its protective `children` (held by the broker until it fills), after cancelling `cancelFirst`. */
export interface PlaceCommand {
  readonly kind: 'place';
  readonly order: Order;
  readonly children: readonly Order[];
  /** The strategy's working protective orders a target change replaces: cancelled only if the order is accepted. */
  readonly cancelFirst: readonly string[];
  /** The close of a flatten: the one kind of order a flattened strategy may still send. */
  readonly flatten?: true;
}

/**
 * The operator's halts changed (kill, flatten, resume), at event time `ts`. Into the order manager, and out of
 * it to the risk gate before the commands the change leads to, so the gate always judges them by the new halts.
 */
export interface HaltsChange {
  readonly kind: 'halts';
  readonly halts: TradingHalts;
  readonly ts: number;
}

export interface CancelCommand {
  readonly kind: 'cancel';
  readonly orderId: string;
  readonly strategyId: string;
  readonly symbol: string;
  readonly ts: number;
  readonly reason: CancelReason;
}

/** A new version of a working order (same id). */
export interface ModifyCommand {
  readonly kind: 'modify';
  readonly order: Order;
}

/** What the order path reads: positions, working orders and the last close. `Book` satisfies it. */
export interface OrderBasis {
  position(strategyId: string, symbol: string): number;
  /** Units of working orders, protective orders not counted. */
  working(strategyId: string, symbol: string): number;
  /** A strategy's working orders in a symbol, protective ones included. */
  workingOrdersOf(strategyId: string, symbol: string): readonly WorkingOrder[];
  workingOrder(orderId: string): WorkingOrder | undefined;
  lastPrice(symbol: string): number | undefined;
}

/**
 * A position of a bracketed strategy found without its protection once its orders have settled: a leg of its
 * bracket missing or not for the whole position, or a protective order that would open exposure. Emitted once
 * per finding (again only after the position was found protected in between).
 */
export interface ProtectionAlert {
  readonly kind: 'error';
  readonly ts: number;
  readonly strategyId: string;
  readonly symbol: string;
  /** Signed units held. */
  readonly position: number;
  readonly message: string;
}

/** What the order manager reads: decisions, and the fills and order events once the book has applied them. */
export type OrderPathInput = Decision | Fill | OrderEvent | HaltsChange;

/**
 * The order events `ordersFromDecisions` acts on: an order's end, and a protective order's acknowledgement (of a
 * modification). The rest (the risk gate's Accepted, an entry's Submitted, PartiallyFilled) need not reach it.
 */
export function orderPathReads(event: OrderEvent): boolean {
  switch (event.status) {
    case 'Cancelled':
    case 'Rejected':
    case 'Filled':
      return true;
    case 'Submitted':
      return isProtective(event.order);
    case 'Accepted':
    case 'PartiallyFilled':
      return false;
  }
}

export interface OrderPathOptions {
  /** A strategy's bracket (from its config): protects every fill of its orders unless a decision says otherwise. */
  readonly bracketOf?: (strategyId: string) => BracketSpec | undefined;
  /** Re-sizes targets (sign kept) before orders are derived; none → targets as the strategies say. */
  readonly sizer?: Sizer;
  /** The symbol a strategy trades: a flatten reaches it even before the strategy decided anything (a restart). */
  readonly homeSymbolOf?: (strategyId: string) => string | undefined;
  /** Told each `ProtectionAlert` (the graph puts it among its events). None: the finding is not reported. */
  readonly onAlert?: (alert: ProtectionAlert) => void;
}

/** Differences smaller than this (units) are float noise of fractional contracts, not an order. */
const QTY_EPSILON = 1e-9;

/** Names a strategy's intents use for the children of its current bracket. */
const BRACKET_CLIENT_IDS: Readonly<Record<string, OrderReason>> = { stopLoss: 'stop', takeProfit: 'takeProfit', trailingStop: 'trailingStop' };

interface Lane {
  readonly strategyId: string;
  readonly symbol: string;
  readonly spec: ContractSpec;
  /** Makes its order ids (`orderIdOf`). */
  readonly ids: (ts: number, sequence: number) => string;
  /** The ts of the last decision and how many orders it made. */
  decisionTs: number;
  sequence: number;
  /** The strategy's last target (before sizing) and whether a protective order has closed the position since. */
  lastTarget: Signal | undefined;
  flatAfterProtective: boolean;
  /** How the operator halts the strategy now (see `TradingHalts`). */
  halt: StrategyHalt | undefined;
  /** While flat: the orders a flatten asked to cancel, and its closing orders (each id asked for once). */
  readonly cancelling: Set<string>;
  readonly closing: Set<string>;
  /** The strategy's names of its explicit orders → order ids. */
  readonly clientIds: Map<string, string>;
  /** One-cancels-other group names → the group id of their working members. */
  readonly ocoGroups: Map<string, string>;
  /** Orders placed with a bracket → the bracket, to re-price their children from each fill. */
  readonly brackets: Map<string, BracketSpec>;
  /** Children placed on their own after their parent filled (no `parentId` at the broker) → that parent. */
  readonly detached: Map<string, string>;
  /** Orders this path asked the broker to cancel that the book still lists: never modified, never counted as protection. */
  readonly cancelsInFlight: Set<string>;
  /** Protective orders modified and the version asked for, until the broker acknowledges it (or the order ends). */
  readonly repricing: Map<string, Order>;
  /** A child's first id → the last version placed of it (`<parent>.sl`, then `<parent>.sl.2`, …); absent: 1. */
  readonly childVersions: Map<string, number>;
  /** The bracket that protects the position now: the order whose fill priced it and the legs it has. */
  protection: { readonly parent: string; readonly legs: readonly OrderReason[] } | undefined;
  /** The last protection alert, until the position is found protected again. */
  alerted: string | undefined;
}

/**
 * The order manager: strategies' decisions (stamped targets and order intents) and the strategies' own fills in,
 * commands for the risk gate out. Deterministic: the same decisions and fills give the same commands and ids.
 *
 * Targets: order = target − (position + working), in units (contracts × the contract's multiplier, after the
 * sizer), a MARKET order (`entry`, `exit` or `reverse`). A reversal is ONE order for twice the size; a target
 * re-sent while its order is still working gives no new order (orders in flight count). Protective orders never
 * count as working and never block an entry: when a target changes, the strategy's working protective orders
 * for the symbol are cancelled first (`cancelFirst`, only if the risk gate accepts the order), then its order is
 * sent. After a protective order has closed the position, the strategy stays flat until its own next change of
 * target: the same target again is no order.
 *
 * Brackets (a target's `bracket`, else the strategy's; `null` for none): an order that will leave a position
 * goes with its protective children for the whole of it — a STOP at ∓ stopLossTicks, a LIMIT at ± takeProfitTicks
 * (or a TRAILING stop), one-cancelling-the-other, ids `<order>.sl`, `<order>.tp`, `<order>.trail` — priced from
 * the decision bar's close so a live position is protected from its first instant. When the order fills, the
 * children are re-priced from the fill (integer ticks of the contract's tick size) for the whole resulting
 * position; a replay broker holds them until then, so they are first checked on the next bar. A newer bracket
 * replaces an older one of the same position (REPLACED).
 *
 * Live, a broker confirms cancels and modifications later. A child this path is cancelling is never modified nor
 * counted as protection: a fill that needs it places a new version on its own (`<order>.sl.2`, `.3`…, never an
 * id twice), and so does a modification that found its child gone at the broker. Order events come back in
 * (after the book applied them) for this, and for the watchdog: once a strategy's orders have settled, a
 * position its bracket protects without exactly one order per leg for the whole of it, or with a protective
 * order that would open exposure, is a `ProtectionAlert` (`onAlert`).
 *
 * Intents: `place` an explicit order under the strategy's `clientId` (LIMIT, STOP, STOP_LIMIT, TRAILING,
 * MARKET; `protective` for exits; `oco` groups; time in force); `cancel` / `modify` one by `clientId`, or the
 * current bracket's `stopLoss`, `takeProfit`, `trailingStop`. Naming a clientId that is not working is nothing.
 *
 * Halts (`HaltsChange`, see `TradingHalts`): passed on to the risk gate first. A strategy flattened cancels
 * every working order (FLATTEN, protective ones included) and closes its position at market (`flatten: true`),
 * then stays flat: its targets still go out as orders for the risk gate to refuse (FLATTENED), and a fill that
 * arrives meanwhile is closed again. A strategy no longer halted (resume) gets the order its latest target asks
 * for, at the change's time: a kill that refused an entry or cancelled one never leaves it out of line. While a
 * strategy is killed, a reversal goes as two orders, the exit (which the risk gate lets through) and the entry.
 *
 * Order ids: `orderIdOf(strategy, symbol, decision ts, n)`, n counting the orders of that decision from 1, so
 * the same decision after a restart has the same id. Decision times of a strategy may not go back: that, a
 * non-finite target, an unknown symbol or a malformed intent is an error on the stream naming the strategy.
 *
 * ```
 * decisions: --a---b---a--|     a: target +1, b: target −1 (position and working read from the book)
 * commands:  --x---y------|     x: place BUY 100,000   y: place SELL 200,000 (one order reverses); the last a waits on y
 * ```
 */
export function ordersFromDecisions(book: OrderBasis, contracts: ContractBook, options: OrderPathOptions = {}): OperatorFunction<OrderPathInput, OrderCommand> {
  return operate((destination) => {
    /** Lanes by strategy, then symbol: two lookups of strings the decisions already hold, no key built per decision. */
    const lanes = new Map<string, Map<string, Lane>>();
    let halts: TradingHalts = { killAll: false, strategies: {} };

    const laneOf = (strategyId: string, symbol: string): Lane => {
      let bySymbol = lanes.get(strategyId);
      if (bySymbol === undefined) {
        bySymbol = new Map();
        lanes.set(strategyId, bySymbol);
      }
      let lane = bySymbol.get(symbol);
      if (lane === undefined) {
        lane = {
          strategyId,
          symbol,
          spec: contractFor(contracts, symbol),
          ids: orderIdsOf(strategyId, symbol),
          decisionTs: Number.NEGATIVE_INFINITY,
          sequence: 0,
          lastTarget: undefined,
          flatAfterProtective: false,
          halt: haltOf(halts, strategyId),
          cancelling: new Set(),
          closing: new Set(),
          clientIds: new Map(),
          ocoGroups: new Map(),
          brackets: new Map(),
          detached: new Map(),
          cancelsInFlight: new Set(),
          repricing: new Map(),
          childVersions: new Map(),
          protection: undefined,
          alerted: undefined,
        };
        bySymbol.set(symbol, lane);
      }
      return lane;
    };

    const fail = (lane: Pick<Lane, 'strategyId' | 'symbol'>, message: string): never => {
      throw new ConfigError(`strategy "${lane.strategyId}" (${lane.symbol}): ${message}`);
    };

    /** The next order id of the decision at `ts`. */
    const nextId = (lane: Lane, ts: number): string => {
      if (!Number.isFinite(ts)) fail(lane, `decision time ${ts} is not a finite epoch-ms number`);
      if (ts < lane.decisionTs) fail(lane, `decision time ${ts} is earlier than its previous decision (${lane.decisionTs})`);
      if (ts !== lane.decisionTs) {
        lane.decisionTs = ts;
        lane.sequence = 0;
      }
      return lane.ids(ts, ++lane.sequence);
    };

    const working = (lane: Lane): readonly WorkingOrder[] => book.workingOrdersOf(lane.strategyId, lane.symbol);
    const held = (lane: Lane): number => book.position(lane.strategyId, lane.symbol) + book.working(lane.strategyId, lane.symbol);

    const cancel = (lane: Lane, orderId: string, ts: number, reason: CancelReason): void => {
      // Its modification no longer matters: it goes.
      lane.repricing.delete(orderId);
      destination.next({ kind: 'cancel', orderId, strategyId: lane.strategyId, symbol: lane.symbol, ts, reason });
      // A replay broker has cancelled it already; a live one confirms later.
      if (book.workingOrder(orderId) !== undefined) lane.cancelsInFlight.add(orderId);
    };

    /**
     * Whether the broker may still be cancelling `orderId` at this path's request. A live broker confirms a
     * cancel later: until then the book lists the order, but it is going (or gone) at the broker, so it is
     * never modified (the modification would be lost) nor counted as protection.
     */
    const beingCancelled = (lane: Lane, orderId: string): boolean => {
      if (!lane.cancelsInFlight.has(orderId)) return false;
      if (book.workingOrder(orderId) !== undefined) return true;
      lane.cancelsInFlight.delete(orderId);
      return false;
    };

    /**
     * The protective children of `parent` for a position of `position` units once it fills, priced from
     * `reference` (the decision bar's close, or the order's own price; later the fill).
     */
    const childrenOf = (lane: Lane, parent: Pick<Order, 'id' | 'ts'>, bracket: BracketSpec, position: number, reference: number): Order[] => {
      const side: Side = position > 0 ? 'SELL' : 'BUY';
      const away = side === 'SELL' ? -1 : 1;
      const tick = lane.spec.tickSize;
      const qty = Math.abs(position);
      const out: Order[] = [];
      const stopPrice =
        bracket.stopLossTicks !== undefined ? offsetTicks(reference, away * bracket.stopLossTicks, tick) : bracket.stopLossPrice;
      if (stopPrice !== undefined) out.push(childOrder(lane, parent, 'stop', side, qty, 'STOP', stopPrice, undefined, undefined));
      const trail = bracket.trailingStopTicks !== undefined ? { ticks: bracket.trailingStopTicks } : bracket.trailingStopPercent !== undefined ? { percent: bracket.trailingStopPercent } : undefined;
      if (trail !== undefined) {
        out.push(childOrder(lane, parent, 'trailingStop', side, qty, 'TRAILING', trailingStopFrom(reference, side, trail, tick), undefined, trail));
      }
      const limitPrice =
        bracket.takeProfitTicks !== undefined ? offsetTicks(reference, -away * bracket.takeProfitTicks, tick) : bracket.takeProfitPrice;
      if (limitPrice !== undefined) out.push(childOrder(lane, parent, 'takeProfit', side, qty, 'LIMIT', undefined, limitPrice, undefined));
      return out;
    };

    /** Forgets brackets of orders that are no longer working (filled, cancelled, rejected). */
    const pruneBrackets = (lane: Lane): void => {
      for (const id of [...lane.brackets.keys()]) if (book.workingOrder(id) === undefined) lane.brackets.delete(id);
    };

    /** Emits `order` with its children for a position of `after` units once it fills, if a bracket applies. */
    const place = (lane: Lane, order: Order, bracket: BracketSpec | undefined, after: number, reference: number | undefined, cancelFirst: readonly string[], flatten = false): void => {
      let children: Order[] = [];
      if (bracket !== undefined && Math.abs(after) >= QTY_EPSILON) {
        const problem = bracketProblem(bracket);
        if (problem !== undefined) fail(lane, `bracket of ${order.id}: ${problem}`);
        if (reference === undefined) fail(lane, `no price of ${lane.symbol} yet to place the bracket of ${order.id} from`);
        pruneBrackets(lane);
        lane.brackets.set(order.id, bracket);
        children = childrenOf(lane, order, bracket, after, reference as number);
      }
      destination.next(flatten ? { kind: 'place', order, children, cancelFirst, flatten } : { kind: 'place', order, children, cancelFirst });
      // The risk gate cancels `cancelFirst` only when it accepts the order, and its decision is in the book now
      // (gate, broker and ledger are one synchronous chain).
      if (cancelFirst.length > 0 && book.workingOrder(order.id) !== undefined) {
        for (const id of cancelFirst) {
          lane.repricing.delete(id);
          if (book.workingOrder(id) !== undefined) lane.cancelsInFlight.add(id);
        }
      }
    };

    const onTarget = (signal: Signal): void => {
      const lane = laneOf(signal.strategyId, signal.symbol);
      if (!Number.isFinite(signal.target)) fail(lane, `signalled a non-finite target ${signal.target}`);
      if (lane.flatAfterProtective && signal.target === lane.lastTarget?.target) return;
      lane.flatAfterProtective = false;
      lane.lastTarget = signal;
      // Also while the strategy is flattened: the risk gate refuses the order (FLATTENED), so the ignored target is reported.
      align(lane, signal);
    };

    /** Sends the order that takes the strategy from what it holds (position + working) to `signal`'s target. */
    const align = (lane: Lane, signal: Signal): void => {
      const contractsWanted = options.sizer === undefined ? signal.target : options.sizer(signal);
      const target = contractsWanted * lane.spec.multiplier;
      const now = held(lane);
      const protective: string[] = [];
      // One being cancelled already is not asked for twice.
      for (const w of working(lane)) if (isProtective(w.order) && !beingCancelled(lane, w.order.id)) protective.push(w.order.id);
      const bracket = signal.bracket === null ? undefined : (signal.bracket ?? options.bracketOf?.(lane.strategyId));
      if (lane.halt === 'killed' && now * target < 0) {
        // Killed: a reversal goes as its exit, which passes (a kill never traps a position), and its entry, which
        // the risk gate refuses; a resume sends the entry again.
        market(lane, signal.ts, now, 0, undefined, protective);
        market(lane, signal.ts, 0, target, bracket, []);
        return;
      }
      market(lane, signal.ts, now, target, bracket, protective);
    };

    /** A MARKET order from `from` units held to `to` (none when they are equal); its id. */
    const market = (lane: Lane, ts: number, from: number, to: number, bracket: BracketSpec | undefined, cancelFirst: readonly string[], flatten = false): string | undefined => {
      const delta = to - from;
      if (Math.abs(delta) < QTY_EPSILON) return undefined;
      const order: Order = {
        id: nextId(lane, ts),
        strategyId: lane.strategyId,
        symbol: lane.symbol,
        ts,
        side: delta > 0 ? 'BUY' : 'SELL',
        qty: Math.abs(delta),
        type: 'MARKET',
        reason: reasonOfChange(from, delta),
      };
      place(lane, order, bracket, to, book.lastPrice(lane.symbol), cancelFirst, flatten);
      return order.id;
    };

    /**
     * A halts change: passed on first (the risk gate judges what follows by it), then every lane acts on it. A
     * flattened lane cancels what it has working and closes its position; a lane no longer halted re-derives its
     * orders from its latest target (a kill may have refused an exit or cancelled an entry the target still wants).
     */
    const onHalts = (change: HaltsChange): void => {
      destination.next(change);
      halts = change.halts;
      for (const [strategyId, halt] of Object.entries(halts.strategies)) {
        const home = halt === 'flat' ? options.homeSymbolOf?.(strategyId) : undefined;
        if (home !== undefined) laneOf(strategyId, home);
      }
      for (const bySymbol of lanes.values()) {
        for (const lane of bySymbol.values()) {
          const before = lane.halt;
          lane.halt = haltOf(halts, lane.strategyId);
          const ts = Math.max(change.ts, lane.decisionTs);
          if (lane.halt === 'flat') {
            keepFlat(lane, ts);
          } else if (before !== undefined && lane.halt === undefined) {
            lane.cancelling.clear();
            lane.closing.clear();
            if (lane.lastTarget !== undefined && !lane.flatAfterProtective) align(lane, { ...lane.lastTarget, ts });
          }
        }
      }
    };

    /**
     * A flattened lane: cancels every working order but its own closes (protective ones included), then closes
     * what is still held at market. Idempotent: an order is asked to cancel once, and a close already working
     * counts, so a second flatten (or a fill while flat) sends only what is missing.
     */
    const keepFlat = (lane: Lane, ts: number): void => {
      const orders = working(lane);
      forgetGone(lane.cancelling, orders);
      forgetGone(lane.closing, orders);
      let held = book.position(lane.strategyId, lane.symbol);
      for (const w of orders) {
        const id = w.order.id;
        if (lane.closing.has(id)) {
          held += w.order.side === 'BUY' ? w.remaining : -w.remaining;
        } else if (!lane.cancelling.has(id)) {
          lane.cancelling.add(id);
          cancel(lane, id, ts, 'FLATTEN');
        }
      }
      const close = market(lane, ts, held, 0, undefined, [], true);
      if (close !== undefined) lane.closing.add(close);
    };

    /** The working order a strategy's `clientId` names now, if any. */
    const resolve = (lane: Lane, clientId: string): WorkingOrder | undefined => {
      const id = lane.clientIds.get(clientId);
      if (id !== undefined) {
        const w = book.workingOrder(id);
        if (w !== undefined && !beingCancelled(lane, id)) return w;
        lane.clientIds.delete(clientId);
      }
      const reason = BRACKET_CLIENT_IDS[clientId];
      if (reason === undefined) return undefined;
      // The latest bracket's, when an older one is still working (its parent not filled yet); one being cancelled is gone.
      return working(lane).findLast((w) => w.order.reason === reason && parentOf(lane, w.order) !== undefined && !beingCancelled(lane, w.order.id));
    };

    const onPlace = (intent: PlaceOrderIntent & Stamp): void => {
      const lane = laneOf(intent.strategyId, intent.symbol);
      if (typeof intent.clientId !== 'string' || intent.clientId === '') fail(lane, 'a place intent needs a clientId');
      if (resolve(lane, intent.clientId) !== undefined) fail(lane, `clientId "${intent.clientId}" already names a working order`);
      if (!(intent.contracts > 0) || !Number.isFinite(intent.contracts)) fail(lane, `place "${intent.clientId}": contracts must be a finite number > 0, got ${intent.contracts}`);
      const protective = intent.protective === true;
      if (protective && intent.type === 'MARKET') fail(lane, `place "${intent.clientId}": a protective order is a LIMIT, STOP, STOP_LIMIT or TRAILING order`);
      const qty = intent.contracts * lane.spec.multiplier;
      const signed = intent.side === 'BUY' ? qty : -qty;
      const now = held(lane);
      const id = nextId(lane, intent.ts);
      const stopPrice =
        intent.type === 'TRAILING' && intent.stopPrice === undefined && intent.trail !== undefined
          ? trailFromLast(lane, intent.side, intent.trail)
          : intent.stopPrice;
      let ocaGroup: string | undefined;
      if (intent.oco !== undefined) {
        const current = lane.ocoGroups.get(intent.oco);
        ocaGroup = current !== undefined && working(lane).some((w) => w.order.ocaGroup === current) ? current : `${id}.oco`;
        lane.ocoGroups.set(intent.oco, ocaGroup);
      }
      const expiresAt = expiryOf(intent.tif, intent.ts);
      const order: Order = {
        id,
        strategyId: lane.strategyId,
        symbol: lane.symbol,
        ts: intent.ts,
        side: intent.side,
        qty,
        type: intent.type,
        ...(intent.limitPrice !== undefined ? { limitPrice: intent.limitPrice } : {}),
        ...(stopPrice !== undefined ? { stopPrice } : {}),
        ...(intent.trail !== undefined ? { trail: intent.trail } : {}),
        ...(intent.tif !== undefined ? { tif: intent.tif } : {}),
        ...(expiresAt !== undefined ? { expiresAt } : {}),
        reason: protective ? protectiveReason(intent.type) : intent.type === 'LIMIT' ? 'limit' : intent.type === 'MARKET' ? reasonOfChange(now, signed) : 'stopEntry',
        ...(ocaGroup !== undefined ? { ocaGroup } : {}),
      };
      const problem = orderPriceProblem(order);
      if (problem !== undefined) fail(lane, `place "${intent.clientId}": ${problem}`);
      lane.clientIds.set(intent.clientId, id);
      const bracket = protective ? undefined : (intent.bracket ?? options.bracketOf?.(lane.strategyId));
      place(lane, order, bracket, now + signed, referenceOf(lane, order), []);
    };

    const trailFromLast = (lane: Lane, side: Side, trail: NonNullable<PlaceOrderIntent['trail']>): number => {
      const last = book.lastPrice(lane.symbol);
      if (last === undefined) return fail(lane, `no price of ${lane.symbol} yet to start a trailing stop from`);
      // A trailing stop that buys follows the price from above; one that sells from below.
      return trailingStopFrom(last, side, trail, lane.spec.tickSize);
    };

    /** The price a bracket of `order` is priced from until it fills: its own price, or the last close. */
    const referenceOf = (lane: Lane, order: Order): number | undefined => {
      switch (order.type) {
        case 'LIMIT':
        case 'STOP_LIMIT':
          return order.limitPrice;
        case 'STOP':
        case 'TRAILING':
          return order.stopPrice;
        case 'MARKET':
          return book.lastPrice(lane.symbol);
      }
    };

    const onModify = (intent: ModifyOrderIntent & Stamp): void => {
      const lane = laneOf(intent.strategyId, intent.symbol);
      const current = resolve(lane, intent.clientId);
      if (current === undefined) return;
      const order: Order = {
        ...current.order,
        ...(intent.limitPrice !== undefined ? { limitPrice: intent.limitPrice } : {}),
        ...(intent.stopPrice !== undefined ? { stopPrice: intent.stopPrice } : {}),
        ...(intent.trail !== undefined ? { trail: intent.trail } : {}),
      };
      const problem = orderPriceProblem(order);
      if (problem !== undefined) fail(lane, `modify "${intent.clientId}": ${problem}`);
      if (isProtective(order)) lane.repricing.set(order.id, order);
      destination.next({ kind: 'modify', order });
    };

    const onIntent = (intent: StampedIntent): void => {
      switch (intent.kind) {
        case 'place':
          return onPlace(intent);
        case 'modify':
          return onModify(intent);
        case 'cancel': {
          const lane = laneOf(intent.strategyId, intent.symbol);
          const current = resolve(lane, intent.clientId);
          if (current === undefined) return;
          // The strategy takes its protection into its own hands: the watchdog no longer expects its bracket.
          if (isProtective(current.order)) lane.protection = undefined;
          cancel(lane, current.order.id, intent.ts, 'REQUESTED');
        }
      }
    };

    /** The order whose fill a protective order protects: its parent, attached or placed on its own. */
    const parentOf = (lane: Lane, order: Order): string | undefined => order.parentId ?? lane.detached.get(order.id);

    /**
     * Places a protective child on its own (its parent has filled) under a new version of its id, `<parent>.sl.2`,
     * `.3`…: the broker has had the first id already (cancelled, or being cancelled), and an id is never sent
     * twice. The versions count per child, so the same decisions and fills give the same ids.
     */
    const placeVersion = (lane: Lane, firstId: string, template: Order, parent: string): void => {
      let version = lane.childVersions.get(firstId) ?? 1;
      let id: string;
      do {
        version += 1;
        id = `${firstId}.${version}`;
      } while (book.workingOrder(id) !== undefined);
      lane.childVersions.set(firstId, version);
      const { parentId: _parent, ...alone } = template;
      lane.detached.set(id, parent);
      destination.next({ kind: 'place', order: { ...alone, id }, children: [], cancelFirst: [] });
    };

    /** `current` (attached or on its own) at `child`'s prices and size; remembered until the broker confirms it. */
    const reprice = (lane: Lane, current: Order, child: Order): void => {
      let order = child;
      if (current.id !== child.id) {
        const { parentId: _parent, ...alone } = child;
        order = { ...alone, id: current.id };
      }
      lane.repricing.set(order.id, order);
      destination.next({ kind: 'modify', order });
    };

    /**
     * A fill of the strategy's own order, after the book has applied it: a protective fill that leaves the
     * position flat ends the strategy's target until it changes; a fill of an order placed with a bracket
     * re-prices the children from the fill, for the whole resulting position. A child this path is cancelling
     * (a live broker has not confirmed it yet) is never modified: the broker is dropping it, so a modification
     * would be lost and the position left bare; a new version of it is placed instead.
     */
    const onFill = (fill: Fill): void => {
      const lane = laneOf(fill.strategyId, fill.symbol);
      // Flat: a fill of an order whose cancel came too late is closed too; no bracket is re-priced.
      if (lane.halt === 'flat') {
        lane.protection = undefined;
        return keepFlat(lane, Math.max(fill.ts, lane.decisionTs));
      }
      const position = book.position(lane.strategyId, lane.symbol);
      const flat = Math.abs(position) < QTY_EPSILON;
      if (flat) lane.protection = undefined;
      if (isProtectiveReason(fill.reason)) {
        if (flat) lane.flatAfterProtective = true;
        return watch(lane, fill.ts);
      }
      if (flat) return dropStaleChildren(lane, fill.ts);
      const bracket = lane.brackets.get(fill.orderId);
      // An order without a bracket: the protection there was went with the target change that sent it.
      if (bracket === undefined) {
        lane.protection = undefined;
        return;
      }
      if (book.workingOrder(fill.orderId) === undefined) lane.brackets.delete(fill.orderId);
      const lanesOrders = working(lane);
      for (const id of [...lane.detached.keys()]) if (!lanesOrders.some((w) => w.order.id === id)) lane.detached.delete(id);
      const children = childrenOf(lane, { id: fill.orderId, ts: fill.ts }, bracket, position, fill.price);
      for (const child of children) {
        // By parent and reason: the parent's id is the very string the fill carries, no id is compared char by char.
        const existing = lanesOrders.find((w) => w.order.reason === child.reason && parentOf(lane, w.order) === fill.orderId && !beingCancelled(lane, w.order.id));
        if (existing === undefined) placeVersion(lane, child.id, child, fill.orderId);
        else if (!samePrices(existing.order, child)) reprice(lane, existing.order, child);
      }
      lane.protection = { parent: fill.orderId, legs: children.map((child) => child.reason) };
      // One bracket protects a position: the children of other brackets go, attached or placed on their own (when
      // fills come late, in a burst, an earlier order's children are placed after a later order was sent). Those
      // held with an order still working stay: the broker starts them when that order fills, for the position it
      // leaves, which they protect from its first instant.
      for (const w of lanesOrders) {
        const parent = parentOf(lane, w.order);
        if (!isProtective(w.order) || parent === undefined || parent === fill.orderId || beingCancelled(lane, w.order.id)) continue;
        if (w.order.parentId !== undefined && book.workingOrder(w.order.parentId) !== undefined) continue;
        cancel(lane, w.order.id, fill.ts, 'REPLACED');
      }
      watch(lane, fill.ts);
    };

    /**
     * Flat after an order of the strategy's own: bracket children still working protect nothing and would open
     * exposure. Live, they are those placed again for a fill that came while the exit was already on its way (the
     * target change cancelled the versions before them); those held with an order still working stay with it.
     */
    const dropStaleChildren = (lane: Lane, ts: number): void => {
      for (const w of working(lane)) {
        if (!isProtective(w.order) || parentOf(lane, w.order) === undefined || beingCancelled(lane, w.order.id)) continue;
        if (w.order.parentId !== undefined && book.workingOrder(w.order.parentId) !== undefined) continue;
        cancel(lane, w.order.id, ts, 'TARGET_CHANGED');
      }
    };

    /**
     * An order event, once the book has applied it: ends a cancel or a modification in flight. A protective
     * order that ends while its modification was in flight, and not because this path or its OCO sibling asked,
     * was gone at the broker before the modification reached it (a live broker answers such a modification with
     * an error): if it still protects the position, a new version of it is placed, never a silent loss.
     */
    const onOrderEvent = (event: OrderEvent): void => {
      const { order } = event;
      const lane = lanes.get(order.strategyId)?.get(order.symbol);
      if (lane === undefined) return;
      if (event.status === 'Submitted') {
        // Only the acknowledgement of a modification can settle anything.
        const wanted = lane.repricing.get(order.id);
        if (wanted === undefined || !samePrices(order, wanted)) return;
        lane.repricing.delete(order.id);
      } else if (event.status === 'Cancelled' || event.status === 'Rejected' || event.status === 'Filled') {
        const asked = lane.cancelsInFlight.delete(order.id);
        const wanted = lane.repricing.get(order.id);
        lane.repricing.delete(order.id);
        if (wanted !== undefined && !asked && event.status !== 'Filled' && event.cancelReason !== 'OCO') replaceLost(lane, wanted);
      } else {
        return;
      }
      watch(lane, event.ts);
    };

    /** Places again, as a new version, a protective order whose modification found it gone. */
    const replaceLost = (lane: Lane, lost: Order): void => {
      const parent = parentOf(lane, lost);
      const position = book.position(lane.strategyId, lane.symbol);
      if (lane.halt === 'flat' || parent === undefined || lane.protection?.parent !== parent || Math.abs(position) < QTY_EPSILON) return;
      if (lost.side !== (position > 0 ? 'SELL' : 'BUY') || !isProtective(lost)) return;
      const firstId = `${parent}.${CHILD_SUFFIX[lost.reason as keyof typeof CHILD_SUFFIX]}`;
      placeVersion(lane, firstId, { ...lost, qty: Math.abs(position) }, parent);
    };

    /**
     * The watchdog, run on each fill and order event of a lane: once the strategy's orders have settled (none of
     * its own working, no cancel or modification unconfirmed), a position its bracket protects must have exactly
     * one working order per leg of that bracket, closing the whole position, and no protective order that would
     * open exposure. Anything else is a `ProtectionAlert`.
     */
    const watch = (lane: Lane, ts: number): void => {
      const protection = lane.protection;
      if (protection === undefined || options.onAlert === undefined || lane.halt === 'flat') return;
      const position = book.position(lane.strategyId, lane.symbol);
      if (Math.abs(position) < QTY_EPSILON) return;
      const orders = working(lane);
      for (const w of orders) if (!isProtective(w.order) || beingCancelled(lane, w.order.id)) return;
      for (const [id, wanted] of lane.repricing) {
        // Gone from the book: its terminal event, on its way to this path, decides (`onOrderEvent`).
        const current = book.workingOrder(id);
        if (current === undefined || !samePrices(current.order, wanted)) return;
        lane.repricing.delete(id);
      }
      const closing: Side = position > 0 ? 'SELL' : 'BUY';
      const qty = Math.abs(position);
      // Checked on every order event of a bracketed strategy: no array is made unless something is wrong.
      let problems: string[] | undefined;
      for (const leg of protection.legs) {
        let count = 0;
        let found: WorkingOrder | undefined;
        for (const w of orders) {
          if (w.order.reason !== leg || parentOf(lane, w.order) !== protection.parent) continue;
          count += 1;
          found = w;
        }
        const name = LEG_NAMES[leg] ?? leg;
        if (found === undefined || count > 1) (problems ??= []).push(count === 0 ? `no working ${name}` : `${count} working ${name}s`);
        else if (found.order.side !== closing || Math.abs(found.remaining - qty) >= QTY_EPSILON) (problems ??= []).push(`its ${name} ${found.order.id} is ${found.order.side} ${found.remaining}`);
      }
      for (const w of orders) {
        if (w.order.side !== closing || w.remaining > qty + QTY_EPSILON) (problems ??= []).push(`${w.order.id} (${w.order.side} ${w.remaining}) would open exposure`);
      }
      if (problems === undefined) {
        lane.alerted = undefined;
        return;
      }
      const message = `strategy "${lane.strategyId}" (${lane.symbol}): position ${position} is not protected as the bracket of ${protection.parent} says: ${problems.join('; ')}`;
      if (message === lane.alerted) return;
      lane.alerted = message;
      options.onAlert({ kind: 'error', ts, strategyId: lane.strategyId, symbol: lane.symbol, position, message });
    };

    const handle = (input: OrderPathInput): void => {
      if (input.kind === 'fill') onFill(input);
      else if (input.kind === 'order') onOrderEvent(input);
      else if (input.kind === 'halts') onHalts(input);
      else if (isTarget(input)) onTarget(input);
      else onIntent(input);
    };
    /** Inputs that arrive while one is handled (the events its own commands cause), handled after it, in order. */
    const queued: OrderPathInput[] = [];
    let handling = false;

    return {
      next(input) {
        if (handling) {
          queued.push(input);
          return;
        }
        handling = true;
        try {
          handle(input);
          for (let next = queued.shift(); next !== undefined; next = queued.shift()) handle(next);
        } finally {
          handling = false;
          queued.length = 0;
        }
      },
    };
  });
}

/** What the watchdog calls each leg of a bracket. */
const LEG_NAMES: Readonly<Partial<Record<OrderReason, string>>> = { stop: 'stop-loss', takeProfit: 'take-profit', trailingStop: 'trailing stop' };

/** Drops from `ids` the orders no longer working. */
function forgetGone(ids: Set<string>, orders: readonly WorkingOrder[]): void {
  if (ids.size === 0) return;
  for (const id of ids) if (!orders.some((w) => w.order.id === id)) ids.delete(id);
}

function protectiveReason(type: PlaceOrderIntent['type']): OrderReason {
  return type === 'LIMIT' ? 'takeProfit' : type === 'TRAILING' ? 'trailingStop' : 'stop';
}

/**
 * A protective child of `parent`: its id is the parent's and a suffix, its group the parent's id. Built field by
 * field (a spread into a literal makes V8 give every child slow, dictionary properties), with only the prices
 * its type has.
 */
function childOrder(
  lane: Pick<Lane, 'strategyId' | 'symbol'>,
  parent: Pick<Order, 'id' | 'ts'>,
  reason: keyof typeof CHILD_SUFFIX,
  side: Side,
  qty: number,
  type: 'STOP' | 'LIMIT' | 'TRAILING',
  stopPrice: number | undefined,
  limitPrice: number | undefined,
  trail: Trail | undefined,
): Order {
  const child: { -readonly [K in keyof Order]: Order[K] } = {
    id: `${parent.id}.${CHILD_SUFFIX[reason]}`,
    strategyId: lane.strategyId,
    symbol: lane.symbol,
    ts: parent.ts,
    side,
    qty,
    type,
    reason,
    parentId: parent.id,
    ocaGroup: parent.id,
  };
  if (limitPrice !== undefined) child.limitPrice = limitPrice;
  if (stopPrice !== undefined) child.stopPrice = stopPrice;
  if (trail !== undefined) child.trail = trail;
  return child;
}

function samePrices(a: Order, b: Order): boolean {
  return a.qty === b.qty && a.limitPrice === b.limitPrice && a.stopPrice === b.stopPrice;
}
