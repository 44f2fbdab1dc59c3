/**
 * `npm run fetch:polygon -- --ticker C:USDJPY --from 2024-01-01 --to 2024-01-31 --out data/usdjpy_polygon.parquet`:
 * Polygon.io aggregates into Parquet. The options and exit codes are in src/cli/fetchPolygon.ts; the fetching
 * itself is src/adapters/polygon.
 */
import { runMain } from '../src/cli/io';
import { runPolygonFetch } from '../src/cli/fetchPolygon';

runMain(() => runPolygonFetch(process.argv.slice(2)));
