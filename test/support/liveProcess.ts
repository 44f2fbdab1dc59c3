import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { until } from './until';

const ROOT = resolve(__dirname, '../..');

/** One line of `npm run live -- --json-log`. */
export type LiveLogLine = { readonly type: string; readonly ts: number } & Readonly<Record<string, unknown>>;

/**
 * `npm run live` in a child process: the npm script's own command (the compiled bundle through `scripts/launch.cjs`,
 * rebuilt first if a source changed), without npm in between, so a signal reaches the engine itself.
 */
export interface LiveProcess {
  /** The JSON lines written so far. */
  lines(): readonly LiveLogLine[];
  stderr(): string;
  /** Resolves with the first line (written so far or later) that matches; rejects after `timeoutMs` naming `what`. */
  waitFor(match: (line: LiveLogLine) => boolean, what: string, timeoutMs?: number): Promise<LiveLogLine>;
  kill(signal: NodeJS.Signals): void;
  /** The exit code (null when a signal ended it). */
  readonly exited: Promise<number | null>;
}

export function startLiveProcess(args: readonly string[], env: Readonly<Record<string, string>>): LiveProcess {
  const child = spawn(process.execPath, ['scripts/launch.cjs', 'src/cli/live.ts', ...args, '--json-log'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const parsed: LiveLogLine[] = [];
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    const end = stdout.lastIndexOf('\n');
    if (end < 0) return;
    for (const line of stdout.slice(0, end).split('\n')) if (line !== '') parsed.push(JSON.parse(line) as LiveLogLine);
    stdout = stdout.slice(end + 1);
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolveExit) => child.on('exit', (code) => resolveExit(code)));
  return {
    lines: () => parsed,
    stderr: () => stderr,
    async waitFor(match, what, timeoutMs = 15_000) {
      await until(() => parsed.some(match) || child.exitCode !== null, what, timeoutMs);
      const found = parsed.find(match);
      if (found === undefined) throw new Error(`the engine exited (${String(child.exitCode)}) before ${what}: ${stderr}`);
      return found;
    },
    kill: (signal) => void child.kill(signal),
    exited,
  };
}
