/**
 * `npm run fetch:ibkr -- --symbol USDJPY --bar 1m --from 2024-01-01 --to 2024-03-01 --what MIDPOINT --out data/usdjpy.parquet`:
 * paced, resumable IB history into Parquet. The options and exit codes are in src/cli/fetchIbkr.ts; the fetching
 * itself is src/adapters/ibkr/history.
 */
import { fetchIbkrMain } from '../src/cli/fetchIbkr';

fetchIbkrMain();
