import { Command } from 'commander';
import { redisOptions, startClusterWorker } from '../research/cluster';
import { defaultWorkers } from '../research/pool';
import { EXIT_INTERRUPTED, EXIT_OK, PROCESS_IO, onStopSignals, parseArgs, positiveInteger, reportError, runMain, type CliIo, type SignalSource } from './io';
import { redactUrl } from './sweep';

interface WorkerCliOptions {
  readonly queue: string;
  readonly threads?: number;
  readonly lockMs: number;
}

/**
 * `npm run worker -- --queue redis://host:6379/0 [--threads N]`: runs the configs sweeps put on the queue
 * (`npm run sweep -- … --queue …`), on this machine's cores, until Ctrl-C (which lets the running jobs finish;
 * a second one exits at once, and those jobs run again elsewhere once their lock expires). The data files are
 * read by the path the sweep gives: each machine must have them there (a shared disk, or copies); a file with
 * another SHA-256 is refused.
 */
export async function runWorker(argv: readonly string[], io: CliIo = PROCESS_IO, signals: SignalSource = process): Promise<number> {
  const program = new Command('worker')
    .description('Run sweep configs from a BullMQ queue on Redis (npm run sweep -- … --queue <url> puts them there).')
    .requiredOption('--queue <url>', 'the queue: redis://[user:password@]host:6379/0')
    .option('--threads <n>', 'worker threads (default: the cores)', positiveInteger)
    .option('--lock-ms <ms>', "how long a job's lock lasts without renewal: a dead worker's jobs run elsewhere after it", positiveInteger, 30_000);
  const stop = await parseArgs(program, argv, io);
  if (stop !== undefined) return stop;
  const opts = program.opts<WorkerCliOptions>();
  try {
    redisOptions(opts.queue);
    const threads = opts.threads ?? defaultWorkers();
    const worker = startClusterWorker(opts.queue, { threads, lockMs: opts.lockMs, log: (line) => io.stderr.write(`${line}\n`) });
    io.stderr.write(`worker: ${threads} thread(s), taking jobs from ${redactUrl(opts.queue)} (Ctrl-C to stop)\n`);
    return await new Promise<number>((resolve) => {
      const stopListening = onStopSignals(signals, {
        first: (signal) => {
          io.stderr.write(`${signal}: finishing the running jobs (again to exit at once)\n`);
          void worker.close().then(() => {
            stopListening();
            resolve(EXIT_OK);
          });
        },
        again: () => {
          stopListening();
          resolve(EXIT_INTERRUPTED);
        },
      });
    });
  } catch (e) {
    return reportError(e, io);
  }
}

if (require.main === module) runMain(() => runWorker(process.argv.slice(2)));
