/**
 * Polygon.io, in one place: aggregates over HTTP (`aggregates.ts`: paging, rate-limit backoff, bars in time
 * order) validated by zod (`schema.ts`). `npm run fetch:polygon` writes them to Parquet.
 */
export {
  aggregatePages,
  aggregatesUrl,
  POLYGON_BASE_URL,
  polygonBars,
  PolygonHttpError,
  TIMESPAN_MS,
  type AggregatesPage,
  type AggregatesRequest,
  type PolygonClientOptions,
  type PolygonFetchEvent,
  type RetryOptions,
  type Timespan,
} from './aggregates';
export { aggregateSchema, aggregatesResponseSchema, type AggregatesResponse, type PolygonAggregate } from './schema';
