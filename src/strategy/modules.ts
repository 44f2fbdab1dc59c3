import { extname } from 'node:path';
import { ConfigError } from '../core/errors';
import { isStrategyDefinition, type StrategyDefinition } from './definition';

/** Extensions loaded as TypeScript. */
const TYPESCRIPT = new Set(['.ts', '.cts', '.mts', '.tsx']);

/**
 * The strategy definition a module exports — `export default defineStrategy({ … })`, `module.exports =
 * defineStrategy(…)`, or its only export that is one. `path` is absolute. It is loaded with `require`: compiled
 * JavaScript (`.js`, `.cjs`) as it is, TypeScript by the loader already in place (the npm scripts run under
 * `node --import tsx`, the pool's workers register tsx, jest transforms it), so in the same module registry as
 * the engine; with no TypeScript loader in place (a compiled engine), a TypeScript module goes through tsx's
 * API. Node caches what it loaded: a module shared by several strategies of a run is read once.
 */
export function loadStrategyModule(path: string): StrategyDefinition {
  let exported: unknown;
  try {
    exported = requireModule(path);
  } catch (error) {
    throw new ConfigError(`cannot load ${path} (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`);
  }
  const definition = definitionIn(exported);
  if (definition === undefined) {
    throw new ConfigError(`${path} exports no strategy definition: export default defineStrategy({ params, warmup, create })`);
  }
  return definition;
}

let tsxRegistered = false;

function requireModule(path: string): unknown {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the user's module, by its path
    return require(path);
  } catch (error) {
    // Without a TypeScript loader, Node reads a .ts file as JavaScript and fails to parse it (before running
    // any of it): load it through tsx then. Loaded only when needed, so a compiled engine does not pay tsx's
    // start-up otherwise.
    if (!(error instanceof SyntaxError) || !TYPESCRIPT.has(extname(path))) throw error;
    // Registered for the process (and left so: the module may require more TypeScript later), not through
    // tsx's namespaced `require`: a namespace loads every module the user's file imports again under keys of
    // its own, rxjs included, and the strategy must get the engine's rxjs (one Observable class, one set of
    // schedulers; test/support/strategies/sameRxjs.ts checks it).
    if (!tsxRegistered) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy, synchronous load (config parsing is synchronous)
      (require('tsx/cjs/api') as typeof import('tsx/cjs/api')).register();
      tsxRegistered = true;
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the user's module, by its path
    return require(path);
  }
}

function definitionIn(exported: unknown): StrategyDefinition | undefined {
  if (isStrategyDefinition(exported)) return exported;
  if (exported === null || typeof exported !== 'object') return undefined;
  const { default: byDefault } = exported as { default?: unknown };
  if (isStrategyDefinition(byDefault)) return byDefault;
  const found = Object.values(exported).filter(isStrategyDefinition);
  return found.length === 1 ? found[0] : undefined;
}
