import { createServer } from 'node:net';

/** A port on 127.0.0.1 nothing listens on (bound, then released), for specs of what happens when TWS is down. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const address = server.address();
  await new Promise<void>((r) => server.close(() => r()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}
