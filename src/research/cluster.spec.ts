import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSweep } from '../cli/sweep';
import { captureIo } from '../../test/support/cliCapture';
import { startLocalRedis, type LocalRedis } from './localRedis';

const ROOT = join(__dirname, '..', '..');
const FIXTURE = join(ROOT, 'fixtures', 'usdjpy.parquet');
const SMA = join(ROOT, 'config', 'gotobi.json');
const GRID = ['--grid', 'short_after_fix.side=short,long', '--grid', 'long_into_fix.exit=09:00,09:55,10:30', '--from', '2024-01-01T00:00:00Z', '--to', '2024-03-01T00:00:00Z'];

let redis: LocalRedis;
let dir: string;
const workers: ChildProcess[] = [];

beforeAll(async () => {
  redis = await startLocalRedis();
  dir = mkdtempSync(join(tmpdir(), 'cluster-spec-'));
}, 20_000);
afterEach(() => {
  for (const worker of workers.splice(0)) if (worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
});
afterAll(async () => {
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** `npm run worker` as a process of its own (the compiled command, as the npm script runs it). */
function startWorker(): { child: ChildProcess; said: (text: string) => Promise<void> } {
  const child = spawn(process.execPath, [join(ROOT, 'scripts', 'launch.cjs'), 'src/cli/worker.ts', '--queue', redis.url, '--threads', '1', '--lock-ms', '1500'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  workers.push(child);
  let output = '';
  const waiters: { text: string; resolve: () => void }[] = [];
  child.stderr?.setEncoding('utf8').on('data', (s: string) => {
    output += s;
    for (const w of waiters.filter((w) => output.includes(w.text))) w.resolve();
  });
  return { child, said: (text) => new Promise((resolve) => (output.includes(text) ? resolve() : waiters.push({ text, resolve }))) };
}

async function sweep(file: string, args: readonly string[], onStderr?: (s: string) => void): Promise<{ code: number; json: string; stderr: string }> {
  const json = join(dir, `out-${Math.random().toString(36).slice(2)}.json`);
  const capture = captureIo();
  const io = { stdout: capture.io.stdout, stderr: { write: (s: string) => (onStderr?.(s), capture.io.stderr.write(s)) } };
  const code = await runSweep([file, '--config', SMA, '--no-progress', '--json', json, ...GRID, ...args], io);
  return { code, json: readFileSync(json, 'utf8'), stderr: capture.stderr() };
}

describe('sweeps on a cluster (BullMQ on a local redis-server)', () => {
  it('gives byte-identical results to the local pool, and a worker killed mid-job loses nothing', async () => {
    const local = await sweep(FIXTURE, ['--workers', '1']);
    const doomed = startWorker();
    const running = doomed.said('running');
    const queued = sweep(FIXTURE, ['--queue', redis.url]);
    await running;
    doomed.child.kill('SIGKILL');
    // The killed worker's jobs wait for their lock to expire, then run on the next worker.
    startWorker();
    const remote = await queued;
    expect(remote.code).toBe(0);
    expect(remote.json).toBe(local.json);
    const doc = JSON.parse(remote.json) as { results: unknown[]; configs: number; failed: number };
    expect(doc.results).toHaveLength(doc.configs);
    expect(doc.failed).toBe(0);
  }, 60_000);

  it('has a worker whose file differs refuse the jobs: they fail with the reason and the sweep lists them', async () => {
    const copy = join(dir, 'usdjpy.parquet');
    copyFileSync(FIXTURE, copy);
    const worker = { started: false };
    const result = await sweep(copy, ['--queue', redis.url], (s) => {
      if (s.includes('read once') && !worker.started) {
        worker.started = true;
        // The sweep hashed its file; the worker finds another at the same path.
        copyFileSync(join(ROOT, 'fixtures', 'bad', 'high_below_low.parquet'), copy);
        startWorker();
      }
    });
    const doc = JSON.parse(result.json) as { failed: number; configs: number; results: { error?: { message: string } }[] };
    expect(doc.failed).toBe(doc.configs);
    expect(doc.results[0].error?.message).toMatch(/refused: this worker's .*usdjpy\.parquet has SHA-256 [0-9a-f]{64}, the sweep's file has [0-9a-f]{64}/);
    expect(result.stderr).toMatch(/config\(s\) failed/);
  }, 60_000);
});
