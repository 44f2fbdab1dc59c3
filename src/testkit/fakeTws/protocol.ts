// Message ids come from the client library: the fake answers with exactly the ids the client decodes.
import { OUT_MSG_ID } from '@stoqey/ib/dist/core/io/encoder';
import { IN_MSG_ID } from '@stoqey/ib/dist/core/io/enum/in-msg-id';
import { fieldCursor, type FieldCursor, type WireField } from './wire';

/**
 * Field layouts of the messages the fake TWS reads and writes, at server version {@link FAKE_TWS_SERVER_VERSION}.
 * They follow TWS's own (and @stoqey/ib 1.6's encoder/decoder) for that version; the integration tests decode
 * every one of them with the real client, which reports any field left over or missing.
 */

/**
 * The one protocol version the fake speaks (BOND_ISSUERID, TWS 10.19 era). The layouts below are for exactly
 * this version: openOrder still carries faProfile (dropped at 177), execDetails has no pendingPriceRevision
 * (178), cancelOrder has no CME tagging fields (192).
 */
export const FAKE_TWS_SERVER_VERSION = 176;

/** `REQ_HISTORICAL_DATA` for 20 (the client library's name); `MSG_<id>` for ids it does not know either. */
export function outMessageName(id: number): string {
  return (OUT_MSG_ID as unknown as Readonly<Record<number, string | undefined>>)[id] ?? `MSG_${id}`;
}

/** The contract fields requests carry, in wire order. */
export interface WireContract {
  readonly conId: number | undefined;
  readonly symbol: string;
  readonly secType: string;
  readonly lastTradeDateOrContractMonth: string;
  readonly strike: number | undefined;
  readonly right: string;
  readonly multiplier: string;
  readonly exchange: string;
  readonly primaryExch: string;
  readonly currency: string;
  readonly localSymbol: string;
  readonly tradingClass: string;
}

/** A key naming a contract the way pacing rules do: symbol, type, exchange, currency. */
export function contractKey(c: WireContract): string {
  return `${c.localSymbol || c.symbol}|${c.secType}|${c.exchange}|${c.currency}`;
}

function readContract(cur: FieldCursor, withPrimaryExch = true): WireContract {
  const conId = cur.optInt('conId');
  const symbol = cur.str('symbol');
  const secType = cur.str('secType');
  const lastTradeDateOrContractMonth = cur.str('lastTradeDateOrContractMonth');
  const strike = cur.optNum('strike');
  const right = cur.str('right');
  const multiplier = cur.str('multiplier');
  const exchange = cur.str('exchange');
  const primaryExch = withPrimaryExch ? cur.str('primaryExch') : '';
  const currency = cur.str('currency');
  const localSymbol = cur.str('localSymbol');
  const tradingClass = cur.str('tradingClass');
  return { conId, symbol, secType, lastTradeDateOrContractMonth, strike, right, multiplier, exchange, primaryExch, currency, localSymbol, tradingClass };
}

export interface HistoricalDataRequest {
  readonly reqId: number;
  readonly contract: WireContract;
  readonly endDateTime: string;
  readonly barSize: string;
  readonly duration: string;
  readonly useRTH: boolean;
  readonly whatToShow: string;
  readonly formatDate: number;
  readonly keepUpToDate: boolean;
}

export interface RealTimeBarsRequest {
  readonly reqId: number;
  readonly contract: WireContract;
  readonly barSize: number;
  readonly whatToShow: string;
  readonly useRTH: boolean;
}

export interface MktDataRequest {
  readonly reqId: number;
  readonly contract: WireContract;
  readonly genericTickList: string;
  readonly snapshot: boolean;
}

export interface PlaceOrderRequest {
  readonly orderId: number;
  readonly contract: WireContract;
  readonly action: string;
  readonly totalQuantity: number;
  readonly orderType: string;
  readonly lmtPrice: number | undefined;
  readonly auxPrice: number | undefined;
  readonly tif: string;
  readonly account: string;
  readonly orderRef: string;
  readonly transmit: boolean;
}

export interface ExecutionsRequest {
  readonly reqId: number;
  readonly clientId: number | undefined;
  readonly acctCode: string;
  readonly time: string;
  readonly symbol: string;
  readonly secType: string;
  readonly exchange: string;
  readonly side: string;
}

/** A client message, parsed as far as the fake needs it. */
export type ClientRequest =
  | { readonly type: 'startApi'; readonly clientId: number; readonly optionalCapabilities: string }
  | { readonly type: 'reqHistoricalData'; readonly request: HistoricalDataRequest }
  | { readonly type: 'cancelHistoricalData'; readonly reqId: number }
  | { readonly type: 'reqRealTimeBars'; readonly request: RealTimeBarsRequest }
  | { readonly type: 'cancelRealTimeBars'; readonly reqId: number }
  | { readonly type: 'reqMktData'; readonly request: MktDataRequest }
  | { readonly type: 'cancelMktData'; readonly reqId: number }
  | { readonly type: 'placeOrder'; readonly request: PlaceOrderRequest }
  | { readonly type: 'cancelOrder'; readonly orderId: number }
  | { readonly type: 'reqOpenOrders' }
  | { readonly type: 'reqAllOpenOrders' }
  | { readonly type: 'reqAutoOpenOrders'; readonly autoBind: boolean }
  | { readonly type: 'reqExecutions'; readonly request: ExecutionsRequest }
  | { readonly type: 'reqIds'; readonly numIds: number }
  | { readonly type: 'reqCurrentTime' }
  | { readonly type: 'reqMarketDataType'; readonly marketDataType: number }
  | { readonly type: 'reqPositions' }
  | { readonly type: 'cancelPositions' }
  | { readonly type: 'unknown'; readonly msgId: number };

/** Parses a client message (fields[0] is the message id). Throws a WireParseError naming the message and field. */
export function parseClientMessage(fields: readonly string[]): ClientRequest {
  const msgId = Number(fields[0]);
  const cur = fieldCursor(fields, outMessageName(msgId), 1);
  switch (msgId) {
    case OUT_MSG_ID.START_API: {
      cur.int('version');
      const clientId = cur.int('clientId');
      const optionalCapabilities = fields.length > 3 ? cur.str('optionalCapabilities') : '';
      return { type: 'startApi', clientId, optionalCapabilities };
    }
    case OUT_MSG_ID.REQ_HISTORICAL_DATA: {
      const reqId = cur.int('reqId');
      const contract = readContract(cur);
      cur.bool('includeExpired');
      const endDateTime = cur.str('endDateTime');
      const barSize = cur.str('barSizeSetting');
      const duration = cur.str('durationStr');
      const useRTH = cur.bool('useRTH');
      const whatToShow = cur.str('whatToShow');
      const formatDate = cur.int('formatDate');
      const keepUpToDate = cur.bool('keepUpToDate');
      return { type: 'reqHistoricalData', request: { reqId, contract, endDateTime, barSize, duration, useRTH, whatToShow, formatDate, keepUpToDate } };
    }
    case OUT_MSG_ID.CANCEL_HISTORICAL_DATA:
      cur.int('version');
      return { type: 'cancelHistoricalData', reqId: cur.int('reqId') };
    case OUT_MSG_ID.REQ_REAL_TIME_BARS: {
      cur.int('version');
      const reqId = cur.int('reqId');
      const contract = readContract(cur);
      const barSize = cur.int('barSize');
      const whatToShow = cur.str('whatToShow');
      const useRTH = cur.bool('useRTH');
      return { type: 'reqRealTimeBars', request: { reqId, contract, barSize, whatToShow, useRTH } };
    }
    case OUT_MSG_ID.CANCEL_REAL_TIME_BARS:
      cur.int('version');
      return { type: 'cancelRealTimeBars', reqId: cur.int('reqId') };
    case OUT_MSG_ID.REQ_MKT_DATA: {
      cur.int('version');
      const reqId = cur.int('reqId');
      const contract = readContract(cur);
      if (contract.secType.toUpperCase() === 'BAG') {
        const legs = cur.int('comboLegsCount');
        for (let i = 0; i < legs * 4; i++) cur.str('comboLeg');
      }
      if (cur.bool('deltaNeutralContract')) {
        cur.int('deltaNeutral.conId');
        cur.num('deltaNeutral.delta');
        cur.num('deltaNeutral.price');
      }
      const genericTickList = cur.str('genericTickList');
      const snapshot = cur.bool('snapshot');
      return { type: 'reqMktData', request: { reqId, contract, genericTickList, snapshot } };
    }
    case OUT_MSG_ID.CANCEL_MKT_DATA:
      cur.int('version');
      return { type: 'cancelMktData', reqId: cur.int('reqId') };
    case OUT_MSG_ID.PLACE_ORDER: {
      const orderId = cur.int('orderId');
      const contract = readContract(cur);
      cur.str('secIdType');
      cur.str('secId');
      const action = cur.str('action');
      const totalQuantity = cur.num('totalQuantity');
      const orderType = cur.str('orderType');
      const lmtPrice = cur.optNum('lmtPrice');
      const auxPrice = cur.optNum('auxPrice');
      const tif = cur.str('tif');
      cur.str('ocaGroup');
      const account = cur.str('account');
      cur.str('openClose');
      cur.optInt('origin');
      const orderRef = cur.str('orderRef');
      const transmit = cur.bool('transmit');
      return {
        type: 'placeOrder',
        request: { orderId, contract, action, totalQuantity, orderType, lmtPrice, auxPrice, tif, account, orderRef, transmit },
      };
    }
    case OUT_MSG_ID.CANCEL_ORDER:
      cur.int('version');
      return { type: 'cancelOrder', orderId: cur.int('orderId') };
    case OUT_MSG_ID.REQ_OPEN_ORDERS:
      return { type: 'reqOpenOrders' };
    case OUT_MSG_ID.REQ_ALL_OPEN_ORDERS:
      return { type: 'reqAllOpenOrders' };
    case OUT_MSG_ID.REQ_AUTO_OPEN_ORDERS:
      cur.int('version');
      return { type: 'reqAutoOpenOrders', autoBind: cur.bool('autoBind') };
    case OUT_MSG_ID.REQ_EXECUTIONS: {
      cur.int('version');
      const reqId = cur.int('reqId');
      const clientId = cur.optInt('clientId');
      const acctCode = cur.str('acctCode');
      const time = cur.str('time');
      const symbol = cur.str('symbol');
      const secType = cur.str('secType');
      const exchange = cur.str('exchange');
      const side = cur.str('side');
      return { type: 'reqExecutions', request: { reqId, clientId, acctCode, time, symbol, secType, exchange, side } };
    }
    case OUT_MSG_ID.REQ_IDS:
      cur.int('version');
      return { type: 'reqIds', numIds: cur.int('numIds') };
    case OUT_MSG_ID.REQ_CURRENT_TIME:
      return { type: 'reqCurrentTime' };
    case OUT_MSG_ID.REQ_MARKET_DATA_TYPE:
      cur.int('version');
      return { type: 'reqMarketDataType', marketDataType: cur.int('marketDataType') };
    case OUT_MSG_ID.REQ_POSITIONS:
      return { type: 'reqPositions' };
    case OUT_MSG_ID.CANCEL_POSITIONS:
      return { type: 'cancelPositions' };
    default:
      return { type: 'unknown', msgId };
  }
}

// ---------------------------------------------------------------------------------------------------------
// Server → client messages at FAKE_TWS_SERVER_VERSION.

/** IB's "no value" for doubles on the wire (Java Double.MAX_VALUE). */
export const UNSET_DOUBLE = '1.7976931348623157E308';
/** IB's "no value" for ints on the wire (Java Integer.MAX_VALUE). */
export const UNSET_INT = 2147483647;

export function managedAccountsMsg(accounts: readonly string[]): WireField[] {
  return [IN_MSG_ID.MANAGED_ACCTS, 1, accounts.join(',')];
}

export function nextValidIdMsg(orderId: number): WireField[] {
  return [IN_MSG_ID.NEXT_VALID_ID, 1, orderId];
}

export function currentTimeMsg(epochSeconds: number): WireField[] {
  return [IN_MSG_ID.CURRENT_TIME, 1, epochSeconds];
}

/** `id` −1 for messages not tied to a request (connectivity 1100/1101/1102, farm status 2104…). */
export function errorMsg(id: number, code: number, message: string): WireField[] {
  return [IN_MSG_ID.ERR_MSG, 2, id, code, message, ''];
}

export interface WireBar {
  /** Epoch seconds (formatDate 2) or formatted text. */
  readonly date: string;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
  readonly wap: number;
  readonly count: number;
}

export function historicalDataMsg(reqId: number, startText: string, endText: string, bars: readonly WireBar[]): WireField[] {
  const out: WireField[] = [IN_MSG_ID.HISTORICAL_DATA, reqId, startText, endText, bars.length];
  for (const b of bars) out.push(b.date, b.open, b.high, b.low, b.close, b.volume, b.wap, b.count);
  return out;
}

export interface WireRealTimeBar {
  /** Bar start, epoch seconds. */
  readonly time: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
  readonly wap: number;
  readonly count: number;
}

export function realTimeBarMsg(reqId: number, b: WireRealTimeBar): WireField[] {
  return [IN_MSG_ID.REAL_TIME_BARS, 3, reqId, b.time, b.open, b.high, b.low, b.close, b.volume, b.wap, b.count];
}

/** TWS tick types used here. */
export const TICK = { BID_SIZE: 0, BID: 1, ASK: 2, ASK_SIZE: 3, LAST: 4 } as const;

export function tickPriceMsg(reqId: number, tickType: number, price: number, size: number): WireField[] {
  return [IN_MSG_ID.TICK_PRICE, 6, reqId, tickType, price, size, 0];
}

export function tickSizeMsg(reqId: number, tickType: number, size: number): WireField[] {
  return [IN_MSG_ID.TICK_SIZE, 6, reqId, tickType, size];
}

function contractFields(c: WireContract, multiplierAsText: boolean): WireField[] {
  return [
    c.conId ?? 0,
    c.symbol,
    c.secType,
    c.lastTradeDateOrContractMonth,
    c.strike ?? 0,
    c.right,
    multiplierAsText ? c.multiplier : c.multiplier === '' ? 0 : c.multiplier,
    c.exchange,
    c.currency,
    c.localSymbol,
    c.tradingClass,
  ];
}

/** An order as TWS reports it back: what was placed, plus who placed it and where it stands. */
export interface WireOrderState extends Omit<PlaceOrderRequest, 'transmit'> {
  readonly clientId: number;
  readonly permId: number;
  readonly status: string;
}

/** openOrder at version 176 (order container layout: no version field), every field in EOrderDecoder order. */
export function openOrderMsg(o: WireOrderState): WireField[] {
  return [
    IN_MSG_ID.OPEN_ORDER,
    o.orderId,
    ...contractFields(o.contract, true),
    o.action,
    o.totalQuantity,
    o.orderType,
    o.lmtPrice,
    o.auxPrice,
    o.tif,
    '', // ocaGroup
    o.account,
    '', // openClose
    0, // origin: customer
    o.orderRef,
    o.clientId,
    o.permId,
    0, // outsideRth
    0, // hidden
    0, // discretionaryAmt
    '', // goodAfterTime
    '', // sharesAllocation (deprecated)
    '', // faGroup
    '', // faMethod
    '', // faPercentage
    '', // faProfile (until 177)
    '', // modelCode
    '', // goodTillDate
    '', // rule80A
    '', // percentOffset
    '', // settlingFirm
    0, // shortSaleSlot
    '', // designatedLocation
    -1, // exemptCode
    0, // auctionStrategy
    '', // startingPrice
    '', // stockRefPrice
    '', // delta
    '', // stockRangeLower
    '', // stockRangeUpper
    '', // displaySize
    0, // blockOrder
    0, // sweepToFill
    0, // allOrNone
    '', // minQty
    0, // ocaType
    0, // eTradeOnly
    0, // firmQuoteOnly
    '', // nbboPriceCap
    0, // parentId
    0, // triggerMethod
    '', // volatility
    0, // volatilityType
    '', // deltaNeutralOrderType (empty: no delta-neutral fields follow)
    '', // deltaNeutralAuxPrice
    0, // continuousUpdate
    0, // referencePriceType
    '', // trailStopPrice
    '', // trailingPercent
    '', // basisPoints
    '', // basisPointsType
    '', // comboLegsDescription
    0, // comboLegs count
    0, // orderComboLegs count
    0, // smartComboRoutingParams count
    '', // scaleInitLevelSize
    '', // scaleSubsLevelSize
    '', // scalePriceIncrement (empty: no scale fields follow)
    '', // hedgeType (empty: no hedgeParam)
    0, // optOutSmartRouting
    '', // clearingAccount
    '', // clearingIntent
    0, // notHeld
    0, // deltaNeutralContract present
    '', // algoStrategy (empty: no params)
    0, // solicited
    0, // whatIf
    o.status,
    '', // initMarginBefore
    '', // maintMarginBefore
    '', // equityWithLoanBefore
    '', // initMarginChange
    '', // maintMarginChange
    '', // equityWithLoanChange
    '', // initMarginAfter
    '', // maintMarginAfter
    '', // equityWithLoanAfter
    '', // commission
    '', // minCommission
    '', // maxCommission
    '', // commissionCurrency
    '', // warningText
    0, // randomizeSize
    0, // randomizePrice
    0, // conditions count
    '', // adjustedOrderType
    '', // triggerPrice
    '', // trailStopPrice
    '', // lmtPriceOffset
    '', // adjustedStopPrice
    '', // adjustedStopLimitPrice
    '', // adjustedTrailingAmount
    0, // adjustableTrailingUnit
    '', // softDollarTier name
    '', // softDollarTier value
    '', // softDollarTier displayName
    '', // cashQty
    0, // dontUseAutoPriceForHedge
    0, // isOmsContainer
    0, // discretionaryUpToLimitPrice
    0, // usePriceMgmtAlgo
    '', // duration
    '', // postToAts
    0, // autoCancelParent
    '', // minTradeQty
    '', // minCompeteSize
    '', // competeAgainstBestOffset
    '', // midOffsetAtWhole
    '', // midOffsetAtHalf
  ];
}

export function openOrderEndMsg(): WireField[] {
  return [IN_MSG_ID.OPEN_ORDER_END, 1];
}

export interface WireOrderStatus {
  readonly orderId: number;
  readonly status: string;
  readonly filled: number;
  readonly remaining: number;
  readonly avgFillPrice: number;
  readonly permId: number;
  readonly lastFillPrice: number;
  readonly clientId: number;
}

export function orderStatusMsg(s: WireOrderStatus): WireField[] {
  return [IN_MSG_ID.ORDER_STATUS, s.orderId, s.status, s.filled, s.remaining, s.avgFillPrice, s.permId, 0, s.lastFillPrice, s.clientId, '', 0];
}

export interface WireExecution {
  readonly orderId: number;
  readonly contract: WireContract;
  readonly execId: string;
  /** `yyyyMMdd HH:mm:ss <zone>` as TWS writes it. */
  readonly time: string;
  readonly account: string;
  readonly exchange: string;
  /** BOT or SLD. */
  readonly side: string;
  readonly shares: number;
  readonly price: number;
  readonly permId: number;
  readonly clientId: number;
  readonly cumQty: number;
  readonly avgPrice: number;
  readonly orderRef: string;
}

export function execDetailsMsg(reqId: number, e: WireExecution): WireField[] {
  return [
    IN_MSG_ID.EXECUTION_DATA,
    reqId,
    e.orderId,
    ...contractFields(e.contract, false),
    e.execId,
    e.time,
    e.account,
    e.exchange,
    e.side,
    e.shares,
    e.price,
    e.permId,
    e.clientId,
    0, // liquidation
    e.cumQty,
    e.avgPrice,
    e.orderRef,
    '', // evRule
    '', // evMultiplier
    '', // modelCode
    2, // lastLiquidity: removed liquidity
  ];
}

export function execDetailsEndMsg(reqId: number): WireField[] {
  return [IN_MSG_ID.EXECUTION_DATA_END, 1, reqId];
}

export function commissionReportMsg(execId: string, commission: number, currency: string): WireField[] {
  return [IN_MSG_ID.COMMISSION_REPORT, 1, execId, commission, currency, UNSET_DOUBLE, UNSET_DOUBLE, ''];
}

export interface WirePosition {
  readonly account: string;
  readonly contract: WireContract;
  readonly position: number;
  readonly avgCost: number;
}

export function positionMsg(p: WirePosition): WireField[] {
  return [IN_MSG_ID.POSITION, 3, p.account, ...contractFields(p.contract, false), p.position, p.avgCost];
}

export function positionEndMsg(): WireField[] {
  return [IN_MSG_ID.POSITION_END, 1];
}
