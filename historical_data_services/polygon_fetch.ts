/**
 * `npm run fetch:polygon -- --ticker C:USDJPY --from 2024-01-01 --to 2024-01-31 --out data/usdjpy_polygon.parquet`:
 * Polygon.io aggregates into Parquet. The options and exit codes are in src/cli/fetchPolygon.ts; the fetching
 * itself is src/adapters/polygon.
 */
import { runPolygonFetch } from '../src/cli/fetchPolygon';

void runPolygonFetch(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
