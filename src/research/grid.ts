import jsep from 'jsep';
import { ConfigError } from '../core/errors';
import { parseRunnerConfig, type RunnerConfig } from '../runner/config';

/**
 * A parameter grid over the strategies of a runner config: `--grid sma.fast=5..50:5 --grid sma.slow=20,50,100`.
 *
 * A key is `<strategy id>.<field>`: the field of that strategy's entry in the config, any numeric or enum
 * field its schema has (`sma.fast`, `long_into_fix.side`, `sma.contracts`), a nested one by its path
 * (`sma.bracket.stopLossTicks`). A strategy entry whose params sit under `params` (a strategy module of the
 * user's) is addressed the same way: `rsi.period` sets `params.period` (`rsi.params.period` says it in full).
 * Each combination is applied to the config as written and the whole config is validated again with the
 * config's own schema, so a value a strategy does not accept is refused with the same message `npm run
 * replay` gives (`strategies[0].fast: fast (60) must be less than slow (50)`).
 */

/** One grid axis: a config field and the values it takes, in order. */
export interface GridAxis {
  /** As written: `sma.fast`. */
  readonly key: string;
  /** Index of the strategy in `config.strategies`. */
  readonly strategyIndex: number;
  /** The field's path inside the strategy entry: `['fast']`, `['params', 'period']`, `['bracket', 'stopLossTicks']`. */
  readonly path: readonly string[];
  readonly values: readonly GridValue[];
}

export type GridValue = number | string | boolean;

/** One point of the grid: its params by grid key, in the order of the axes. */
export type GridParams = Readonly<Record<string, GridValue>>;

/** Fields that say what a strategy is, not how it is tuned: never swept. */
const STRUCTURAL = new Set(['id', 'type', 'module', 'symbol']);

/** Most configs a grid may expand to (a typo in a range should not allocate a billion configs). */
export const MAX_GRID_POINTS = 1_000_000;

/** Parses `a..b:step`, `a..b` (step 1) or a list `1,2,5` / `long,short` / a single value. */
export function parseGridValues(text: string, key: string): GridValue[] {
  const range = /^(-?[\d.]+(?:e-?\d+)?)\.\.(-?[\d.]+(?:e-?\d+)?)(?::([\d.]+(?:e-?\d+)?))?$/i.exec(text);
  if (range !== null) {
    const [from, to, step] = [Number(range[1]), Number(range[2]), range[3] === undefined ? 1 : Number(range[3])];
    if (![from, to, step].every(Number.isFinite)) throw new ConfigError(`"${text}" is not a range a..b:step of numbers`, `--grid ${key}`);
    if (!(step > 0)) throw new ConfigError(`the step of "${text}" must be > 0`, `--grid ${key}`);
    if (to < from) throw new ConfigError(`"${text}" runs backwards: the range is from..to with from ≤ to`, `--grid ${key}`);
    // Each value is from + i·step, rounded to the decimals the user wrote, so 0.1..0.3:0.1 is 0.1, 0.2, 0.3
    // (not 0.30000000000000004) and the last value is never lost to accumulated rounding.
    const decimals = Math.max(decimalsOf(range[1]), decimalsOf(range[3] ?? '1'));
    const count = Math.floor((to - from) / step + 1e-9) + 1;
    if (count > MAX_GRID_POINTS) throw new ConfigError(`"${text}" has ${count} values, more than ${MAX_GRID_POINTS}`, `--grid ${key}`);
    return Array.from({ length: count }, (_, i) => Number((from + i * step).toFixed(decimals)));
  }
  const values = text.split(',').map((item) => item.trim());
  if (values.some((v) => v === '')) throw new ConfigError(`"${text}": an empty value (write a..b:step, or values separated by commas)`, `--grid ${key}`);
  const parsed = values.map(scalar);
  const duplicate = parsed.find((v, i) => parsed.indexOf(v) !== i);
  if (duplicate !== undefined) throw new ConfigError(`"${text}" lists ${String(duplicate)} twice`, `--grid ${key}`);
  return parsed;
}

function decimalsOf(text: string): number {
  const exponent = /e(-?\d+)$/i.exec(text);
  const mantissa = text.replace(/e-?\d+$/i, '');
  const dot = mantissa.indexOf('.');
  const decimals = dot < 0 ? 0 : mantissa.length - dot - 1;
  return Math.min(20, Math.max(0, decimals - (exponent === null ? 0 : Number(exponent[1]))));
}

/** `12` → 12, `true` → true, anything else stays text (an enum value such as `long`). */
function scalar(text: string): GridValue {
  if (text === 'true' || text === 'false') return text === 'true';
  const n = Number(text);
  return text !== '' && Number.isFinite(n) && /^[-+]?(\d|\.\d)/.test(text) ? n : text;
}

/**
 * The axes of `--grid` flags (`key=values`) against a validated config: each key must name a strategy of the
 * config and a field that is not its identity; a key given twice is an error.
 */
export function parseGrid(flags: readonly string[], config: RunnerConfig): GridAxis[] {
  const axes: GridAxis[] = [];
  for (const flag of flags) {
    const eq = flag.indexOf('=');
    if (eq <= 0) throw new ConfigError(`"${flag}": expected <strategy id>.<field>=<values>, e.g. sma.fast=5..50:5 or sma.fast=5,10,20`, '--grid');
    const key = flag.slice(0, eq).trim();
    if (axes.some((a) => a.key === key)) throw new ConfigError(`${key} is given twice`, '--grid');
    const { strategyIndex, path } = addressOf(key, config);
    axes.push({ key, strategyIndex, path, values: parseGridValues(flag.slice(eq + 1).trim(), key) });
  }
  const points = axes.reduce((n, axis) => n * axis.values.length, 1);
  if (points > MAX_GRID_POINTS) throw new ConfigError(`the grid has ${points} points, more than ${MAX_GRID_POINTS}`, '--grid');
  return axes;
}

/** Which strategy and which field of its entry a key addresses (the longest strategy id that prefixes it wins). */
export function addressOf(key: string, config: RunnerConfig): { strategyIndex: number; path: string[] } {
  const entries = config.strategies as readonly Readonly<Record<string, unknown>>[];
  let strategyIndex = -1;
  for (let i = 0; i < entries.length; i++) {
    const id = String(entries[i].id);
    if (key.startsWith(`${id}.`) && (strategyIndex < 0 || id.length > String(entries[strategyIndex].id).length)) strategyIndex = i;
  }
  if (strategyIndex < 0) {
    throw new ConfigError(`"${key}" names no strategy of the config (its strategies: ${entries.map((e) => String(e.id)).join(', ')}); a key is <strategy id>.<field>`, '--grid');
  }
  const entry = entries[strategyIndex];
  const path = key.slice(String(entry.id).length + 1).split('.');
  if (path.some((p) => p === '')) throw new ConfigError(`"${key}": an empty field name`, '--grid');
  if (STRUCTURAL.has(path[0])) throw new ConfigError(`"${key}": ${path[0]} says which strategy this is; sweep its parameters instead (${sweepableFields(entry).join(', ')})`, '--grid');
  // Params under `params` (a strategy module) are addressed by their own name; other fields as they sit.
  const params = entry.params;
  const underParams = path[0] !== 'params' && path[0] !== 'bracket' && !(path[0] in entry) && params !== null && typeof params === 'object';
  return { strategyIndex, path: underParams ? ['params', ...path] : path };
}

/** The fields of a validated strategy entry a grid can set (numbers, texts, booleans, and those of its objects). */
export function sweepableFields(entry: Readonly<Record<string, unknown>>): string[] {
  const fields: string[] = [];
  const walk = (value: unknown, prefix: string): void => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return;
    for (const [name, inner] of Object.entries(value)) {
      if (prefix === '' && STRUCTURAL.has(name)) continue;
      const label = prefix === 'params.' ? name : `${prefix}${name}`;
      if (typeof inner === 'number' || typeof inner === 'string' || typeof inner === 'boolean') fields.push(label);
      else walk(inner, prefix === '' && name === 'params' ? 'params.' : `${label}.`);
    }
  };
  walk(entry, '');
  return fields;
}

/** Every combination of the axes' values, the first axis varying slowest (nested loops in flag order). */
export function expandGrid(axes: readonly GridAxis[]): GridParams[] {
  let points: Record<string, GridValue>[] = [{}];
  for (const axis of axes) points = points.flatMap((point) => axis.values.map((value) => ({ ...point, [axis.key]: value })));
  return points;
}

/**
 * The config with a grid point applied: each value set at its field in the config as written (a copy), then
 * the whole config validated again. A value the strategy refuses is a ConfigError naming the field.
 */
export function applyGridPoint(base: RunnerConfig, axes: readonly GridAxis[], point: GridParams, source: string): RunnerConfig {
  const strategies = base.strategies.map((entry) => structuredClone(entry) as unknown as Record<string, unknown>);
  for (const axis of axes) {
    let target = strategies[axis.strategyIndex];
    for (const segment of axis.path.slice(0, -1)) {
      const next = target[segment];
      if (next === undefined) target[segment] = {};
      else if (next === null || typeof next !== 'object' || Array.isArray(next)) throw new ConfigError(`${axis.key}: ${segment} is not an object`, '--grid');
      target = target[segment] as Record<string, unknown>;
    }
    target[axis.path[axis.path.length - 1]] = point[axis.key];
  }
  // `base` was parsed from its file: its strategy modules' paths are absolute already, so no baseDir is needed here.
  return parseRunnerConfig({ ...base, strategies }, source);
}

// ---------------------------------------------------------------------------------------------------------
// --where

/** A predicate over a grid point, from `--where 'fast < slow && slow <= 200'`. */
export type GridFilter = (point: GridParams) => boolean;

/**
 * Compiles a `--where` expression: comparisons (`< <= > >= == !=`), arithmetic (`+ - * / %`), `&& || !`,
 * parentheses, numbers and quoted texts, over the grid's keys — in full (`sma.fast`) or by their field name
 * alone when only one axis has it (`fast`). It is parsed by jsep and evaluated here: nothing else is callable,
 * so an expression can read the params and nothing more.
 */
export function compileWhere(expression: string, axes: readonly GridAxis[]): GridFilter {
  let ast: jsep.Expression;
  try {
    ast = jsep(expression);
  } catch (e) {
    throw new ConfigError(`cannot read "${expression}" (${(e as Error).message})`, '--where');
  }
  const keyOf = (name: string): string => {
    if (axes.some((a) => a.key === name)) return name;
    const matches = axes.filter((a) => a.key.endsWith(`.${name}`) && a.key.split('.').pop() === name);
    if (matches.length === 1) return matches[0].key;
    if (matches.length > 1) throw new ConfigError(`"${name}" is ambiguous: write one of ${matches.map((a) => a.key).join(', ')}`, '--where');
    throw new ConfigError(`"${name}" is not a grid key (the keys: ${axes.map((a) => a.key).join(', ')})`, '--where');
  };
  const nameOf = (node: jsep.Expression): string | undefined => {
    if (node.type === 'Identifier') return (node as jsep.Identifier).name;
    if (node.type === 'MemberExpression') {
      const member = node as jsep.MemberExpression;
      const object = nameOf(member.object);
      if (object === undefined || member.computed || member.property.type !== 'Identifier') return undefined;
      return `${object}.${(member.property as jsep.Identifier).name}`;
    }
    return undefined;
  };
  type Value = number | string | boolean;
  const compile = (node: jsep.Expression): ((point: GridParams) => Value) => {
    const name = nameOf(node);
    if (name !== undefined) {
      const key = keyOf(name);
      return (point) => point[key];
    }
    switch (node.type) {
      case 'Literal': {
        const value = (node as jsep.Literal).value;
        if (typeof value !== 'number' && typeof value !== 'string' && typeof value !== 'boolean') break;
        return () => value;
      }
      case 'UnaryExpression': {
        const unary = node as jsep.UnaryExpression;
        const arg = compile(unary.argument);
        if (unary.operator === '!') return (p) => !arg(p);
        if (unary.operator === '-') return (p) => -Number(arg(p));
        if (unary.operator === '+') return (p) => Number(arg(p));
        break;
      }
      case 'BinaryExpression': {
        const binary = node as jsep.BinaryExpression;
        const [a, b] = [compile(binary.left), compile(binary.right)];
        const op = BINARY[binary.operator];
        if (op !== undefined) return (p) => op(a(p), b(p));
        break;
      }
      default:
        break;
    }
    throw new ConfigError(`"${expression}": only grid keys, numbers, texts, comparisons, arithmetic, && || ! and parentheses are allowed`, '--where');
  };
  const predicate = compile(ast);
  return (point) => predicate(point) === true;
}

const BINARY: Readonly<Record<string, (a: GridValue, b: GridValue) => GridValue>> = {
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
  '==': (a, b) => a === b,
  '===': (a, b) => a === b,
  '!=': (a, b) => a !== b,
  '!==': (a, b) => a !== b,
  '+': (a, b) => Number(a) + Number(b),
  '-': (a, b) => Number(a) - Number(b),
  '*': (a, b) => Number(a) * Number(b),
  '/': (a, b) => Number(a) / Number(b),
  '%': (a, b) => Number(a) % Number(b),
  '&&': (a, b) => a === true && b === true,
  '||': (a, b) => a === true || b === true,
};
