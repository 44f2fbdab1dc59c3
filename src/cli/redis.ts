import { startLocalRedis } from '../research/localRedis';
import { EXIT_DATA, EXIT_OK, PROCESS_IO, onStopSignals, runMain, type CliIo, type SignalSource } from './io';

/**
 * `npm run redis`: a throwaway local Redis for trying `npm run sweep -- … --queue` and `npm run worker` on one
 * machine (a free port of 127.0.0.1, a temporary directory, nothing persisted); Ctrl-C stops it and removes it.
 */
export async function runRedis(io: CliIo = PROCESS_IO, signals: SignalSource = process): Promise<number> {
  let redis;
  try {
    redis = await startLocalRedis();
  } catch (error) {
    io.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT_DATA;
  }
  io.stdout.write(`${redis.url}\n`);
  io.stderr.write('redis-server running (nothing persisted); Ctrl-C stops it\n');
  await new Promise<void>((resolve) => {
    const stopListening = onStopSignals(signals, {
      first: () => {
        stopListening();
        resolve();
      },
      again: () => undefined,
    });
  });
  await redis.stop();
  return EXIT_OK;
}

if (require.main === module) runMain(() => runRedis());
