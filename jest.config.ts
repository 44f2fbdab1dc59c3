/** @jest-config-loader esbuild-register */
import type { Config } from 'jest';

/**
 * Two projects, both run by `npm test` (and by a bare `npx jest`):
 *
 * - `unit`: pure, in-process suites (marble tests, the book, the readers on fixture files). Fast; run them
 *   alone while iterating: `npx jest --selectProjects unit`.
 * - `integration`: suites that open sockets (the fake TWS, cTrader, Polygon and Telegram servers, the HTTP API),
 *   spawn processes or worker threads (the CLIs, the pool, a child under another TZ) or launch Chromium.
 *
 * A new suite that does any of that belongs in INTEGRATION below.
 */
const INTEGRATION = [
  'src/adapters/ibkr/broker.spec.ts',
  'src/adapters/ibkr/connection.spec.ts',
  'src/adapters/ibkr/history/historyService.spec.ts',
  'src/adapters/ibkr/realtime/sources.spec.ts',
  'src/adapters/ctrader/openApiClient.spec.ts',
  'src/adapters/polygon/aggregates.spec.ts',
  'src/cli/*.spec.ts',
  'src/control/dashboard.chromium.spec.ts',
  'src/control/httpApi.spec.ts',
  'src/control/surfaces.spec.ts',
  'src/control/telegramBot.spec.ts',
  'src/journal/lock.spec.ts',
  'src/live/*.spec.ts',
  'src/runner/pool.spec.ts',
  'src/research/sweep.spec.ts',
  'src/research/cluster.spec.ts',
  'src/runner/report/htmlReport.chromium.spec.ts',
  'src/strategy/gotobi.spec.ts',
  'src/testkit/fakeTws.spec.ts',
  'examples/liveOnFakeTws.spec.ts',
].map((path) => `<rootDir>/${path}`);

// swc strips types only; `npm run typecheck` (tsc, product and specs) does the type checking.
const shared = {
  testEnvironment: 'node',
  roots: ['<rootDir>/src', '<rootDir>/operators', '<rootDir>/examples'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  testTimeout: 20000,
} satisfies Config;

const config: Config = {
  testTimeout: shared.testTimeout,
  projects: [
    // The unit project is every spec the integration project does not claim.
    { ...shared, displayName: 'unit', testMatch: ['**/*.spec.ts'], testPathIgnorePatterns: ['/node_modules/', ...INTEGRATION.map(globToRegExp)] },
    { ...shared, displayName: 'integration', testMatch: INTEGRATION },
  ],
};

/** `<rootDir>/src/cli/*.spec.ts` → a path pattern for testPathIgnorePatterns (which takes regular expressions). */
function globToRegExp(glob: string): string {
  const body = glob
    .replace('<rootDir>/', '')
    .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '[^/]*');
  return `<rootDir>/${body}$`;
}

export default config;
