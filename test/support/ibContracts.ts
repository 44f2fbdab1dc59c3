import type { WireContract } from '../../src/testkit/fakeTws';

/** USD.JPY as TWS describes it on the wire (what the fake TWS puts in positions and open orders). */
export const USDJPY_WIRE: WireContract = {
  conId: 15016059,
  symbol: 'USD',
  secType: 'CASH',
  lastTradeDateOrContractMonth: '',
  strike: undefined,
  right: '',
  multiplier: '',
  exchange: 'IDEALPRO',
  primaryExch: '',
  currency: 'JPY',
  localSymbol: 'USD.JPY',
  tradingClass: 'USD.JPY',
};
