/**
 * A live engine's journal in a process of its own, for the specs that kill it:
 * `node --import tsx test/support/journalChild.ts <journal file>`. It opens the journal as a live run,
 * commits one order intent, leaves one signal in an open batch, prints `ready <pid>` and waits to be killed.
 */
import { openJournal } from '../../src/journal/journal';
import { liveOptions, testOrder } from './journalFixtures';

const file = process.argv[2];
const journal = openJournal(file, liveOptions({ batch: { maxEvents: 1000, maxDelayMs: 3_600_000 } }));
journal.beforeSend(testOrder(1));
journal.recordSignal({ strategyId: 'fix', symbol: 'USDJPY', ts: testOrder(2).ts, target: 0 });
process.stdout.write(`ready ${process.pid}\n`);
setInterval(() => undefined, 60_000);
