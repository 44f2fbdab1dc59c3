import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/**
 * A file's SHA-256 and size, streamed: what a replay report and a sweep record about their input, and what a
 * cluster worker checks before it runs a job on its own copy of the file.
 */
export async function sha256OfFile(path: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), bytes };
}
