import type { CliIo } from '../../src/cli/io';

/** A `CliIo` whose stdout and stderr are kept, for running a command in-process and reading what it wrote. */
export function captureIo(): { readonly io: CliIo; stdout(): string; stderr(): string } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) } },
    stdout: () => out.join(''),
    stderr: () => err.join(''),
  };
}
