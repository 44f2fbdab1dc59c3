/**
 * The test kit for strategy authors, usable with any test runner (its assertions are `node:assert`'s):
 *
 * - marble helpers: write bars as marbles and assert what a strategy or operator emits, in virtual time;
 * - a fake TWS / IB Gateway on 127.0.0.1 that speaks the real API wire protocol, to run a live config end to
 *   end (orders, fills, commissions, disconnects) without an IB account.
 *
 * Test-only code of the project itself lives in `test/support/`, not here.
 */
export {
  barSeries,
  createMarbleScheduler,
  lettersFor,
  makeBar,
  makeFill,
  marbles,
  type BarSeriesSpec,
  type BarSpec,
  type DeepEqualAssertion,
  type FillSpec,
} from './marbles';
export {
  FAKE_TWS_SERVER_VERSION,
  fakePriceAt,
  flatHistory,
  generateBars,
  startFakeTws,
  type ClientRequestType,
  type ConnectedClient,
  type FakeExecution,
  type FakeOrder,
  type FakePacingRules,
  type FakePosition,
  type FakeTws,
  type FakeTwsOptions,
  type FillScript,
  type GeneratedBar,
  type HistoricalContext,
  type HistoricalDataRequest,
  type HistoricalHandler,
  type HistoricalReply,
  type LoggedRequest,
  type PlaceOrderRequest,
  type QuotesMode,
  type RealTimeBarsMode,
  type WireContract,
  type WireExecution,
  type WireField,
  type WireRealTimeBar,
} from './fakeTws';
