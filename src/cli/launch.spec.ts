import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

describe('compiled entry points (scripts/launch.cjs)', () => {
  it("give a user's TypeScript strategy module the engine's own rxjs", () => {
    // rxjs is loaded from one bundled file there (start-up); the module throws unless the Observable the engine
    // hands its decide operator is an instance of the Observable class it imported itself.
    const r = spawnSync(
      process.execPath,
      ['scripts/launch.cjs', 'src/cli/replay.ts', 'fixtures/usdjpy.parquet', '--to', '2024-01-10', '--config', 'test/support/strategies/sameRxjs.json', '--no-progress'],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^same\s+USDJPY\s+0\s/m);
  });
});
