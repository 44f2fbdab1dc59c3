/**
 * cTrader live quotes: `ctraderQuotes`/`ctraderBars` bridge any quote source (the seed's `stream_ctrader_quotes`);
 * `createOpenApiClient` speaks the Open API JSON protocol itself. Both give the graph `QuoteTick`s, and through
 * `barBuilder` the same bars$ replay gives.
 */
export { ctraderBars, ctraderQuotes, rawQuoteSchema } from './bridge';
export type { CtraderBarsOptions, CtraderQuotesOptions, EmitterQuoteSource, QuoteCallbackSource, QuoteSource, RawQuote } from './bridge';
export { ctraderConfigSchema, ctraderEnvNames, ctraderUrl, resolveCtraderConfig } from './config';
export type { CtraderConfig } from './config';
export { createOpenApiClient, CtraderProtocolError } from './openApiClient';
export type { CtraderClientEvent, CtraderOpenApiClient, OpenApiClientOptions, ReconnectOptions } from './openApiClient';
export { PayloadType, PRICE_SCALE } from './protocol';
