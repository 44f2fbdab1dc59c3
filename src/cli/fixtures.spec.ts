import { existsSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { runFixtures } from '../../scripts/makeFixtures';

describe('npm run fixtures', () => {
  it('--help prints the usage and writes nothing (no folder named --help)', async () => {
    let stdout = '';
    const code = await runFixtures(['--help'], { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: () => true } });
    expect(code).toBe(0);
    expect(stdout).toContain('Usage: fixtures [options] [outDir]');
    expect(existsSync('--help')).toBe(false);
  });

  it('an unknown option is a usage error (exit 2)', async () => {
    let stderr = '';
    const code = await runFixtures(['--force'], { stdout: { write: () => true }, stderr: { write: (s: string) => (stderr += s) } });
    expect(code).toBe(2);
    expect(stderr).toContain("error: unknown option '--force'");
  });
});
