/**
 * `npm run fetch:polygon -- --ticker C:USDJPY --from 2024-01-01 --to 2024-01-31 --out data/usdjpy_polygon.parquet`
 * (the seed's Polygon fetcher). See historical_data_services/polygon/cli.ts for the options and exit codes.
 */
import { runMain } from '../src/cli/io';
import { runPolygonFetch } from './polygon/cli';

runMain(() => runPolygonFetch(process.argv.slice(2)));
