export { barBuilder, FX_SESSION, type BarBuilderOptions, type LateHandler, type SessionSpec } from './barBuilder';
export { fxInvert, swapCurrencies, type FxInvertOptions } from './fxInvert';
export { markToMarket } from './markToMarket';
export { operate, subscribeInput, type InputHandlers, type SourceHandlers } from './operate';
export { riskGate, type RiskContext } from './riskGate';
export { route, type RouteOptions } from './route';
