/**
 * cTrader, in one place: live quotes. `ctraderQuotes`/`ctraderBars` bridge any quote source (a callback, an
 * event emitter, an async iterable); `createOpenApiClient` speaks the Open API JSON protocol itself. Both give the
 * graph `QuoteTick`s, and through `barBuilder` the same bars$ replay gives.
 */
export { ctraderBars, ctraderQuotes, rawQuoteSchema } from './bridge';
export type { CtraderBarsOptions, CtraderQuotesOptions, EmitterQuoteSource, QuoteCallbackSource, QuoteSource, RawQuote } from './bridge';
export { ctraderConfigSchema, ctraderEnvNames, ctraderUrl, resolveCtraderConfig } from './config';
export type { CtraderConfig } from './config';
export { createOpenApiClient, CtraderProtocolError } from './openApiClient';
export type { CtraderClientEvent, CtraderOpenApiClient, OpenApiClientOptions, ReconnectOptions } from './openApiClient';
export { PayloadType, PRICE_SCALE } from './protocol';
