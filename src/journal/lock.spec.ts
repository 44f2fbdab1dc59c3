import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { liveOptions, tempJournal, testOrder } from '../../test/support/journalFixtures';
import { openJournal } from './journal';
import { JournalError } from './journalError';

const ROOT = resolve(__dirname, '../..');

/** Starts test/support/journalChild.ts on `file` and resolves once its journal is open and written. */
function startEngine(file: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/support/journalChild.ts'), file], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolveReady, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().startsWith('ready')) resolveReady(child);
    });
    child.on('exit', (code) => reject(new Error(`the journal child exited (${code}) before it was ready: ${stderr}`)));
  });
}

describe('journal lock: another process, and a process killed with SIGKILL', () => {
  it('refuses while the other engine runs, naming its pid; opens once it is killed, with what it had committed', async () => {
    const { file } = tempJournal();
    const engine = await startEngine(file);
    const exited = new Promise((r) => engine.once('exit', r));
    let refusal: unknown;
    try {
      openJournal(file, liveOptions());
    } catch (error) {
      refusal = error;
    } finally {
      // Killed whatever the assertions say: a child left running would keep the test process alive.
      engine.kill('SIGKILL');
      await exited;
    }
    expect(refusal).toBeInstanceOf(JournalError);
    expect((refusal as JournalError).reason).toBe('locked');
    expect((refusal as JournalError).message).toContain(`pid ${engine.pid}`);

    const journal = openJournal(file, liveOptions());
    // The killed run never closed the journal: recovery can tell.
    expect(journal.previousRun).toMatchObject({ pid: engine.pid, stoppedAt: null });
    // Its committed intent survived; the signal still in its open batch did not.
    expect(journal.wasSent(testOrder(1).id)).toBe(true);
    expect(journal.signals()).toEqual([]);
    journal.close('done');
  });
});
