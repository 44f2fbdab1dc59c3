'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- a plain CommonJS launcher: it runs before anything is compiled */
/**
 * Compiled entry points: `node scripts/launch.cjs src/cli/replay.ts <args>` runs the command from an esbuild
 * bundle of it (`dist/src/cli/replay.cjs`, the packages left in node_modules) instead of transpiling the
 * TypeScript of every module at each start, as `node --import tsx` does (~1 s of start-up).
 *
 * - Never stale: beside each bundle, `<bundle>.inputs.json` lists every source file it was built from with its
 *   modification time and size (from esbuild's metafile). Each start stats them (~150 files, 1–3 ms); any
 *   change, or a missing bundle, rebuilds it first (0.2–0.5 s, once), so editing `src/` never runs old code.
 * - Built at `npm ci`: the root package's `prepare` script runs `node scripts/launch.cjs --build`, so the first
 *   `npm run replay` after `npm ci` starts compiled, with no extra step.
 * - The bundle behaves as the sources do: in each module `__dirname` / `__filename` are rewritten to the
 *   module's own place in the sources (relative to the bundle, so a moved clone still works), so config
 *   files, page sources and worker shims are found where they are; `require.main === module` is true in the
 *   entry module only (a command module another one imports does not start too).
 * - A user's TypeScript strategy module still loads: the engine falls back to tsx's API when no TypeScript
 *   loader is in place (tsx stays a runtime dependency).
 *
 * `load(entry)` gives a fresh bundle's exports (the worker-thread shims use it).
 */
const { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } = require('node:fs');
const { dirname, join, relative, resolve } = require('node:path');

const ROOT = resolve(__dirname, '..');
const DIST = join(ROOT, 'dist');

/** The entry points `npm ci` builds: every `npm run` command that runs through this launcher. */
function entriesOfScripts() {
  const { scripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const entries = Object.values(scripts).flatMap((script) => {
    const match = /scripts\/launch\.cjs ([^\s]+\.ts)/.exec(script);
    return match === null ? [] : [match[1]];
  });
  return [...new Set([...entries, 'src/research/sweepWorker.ts'])];
}

function bundlePath(entry) {
  return join(DIST, entry.replace(/\.ts$/, '.cjs'));
}

/** Whether the bundle of `entry` exists and was built from the sources as they are now. */
function isFresh(entry) {
  const out = bundlePath(entry);
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(`${out}.inputs.json`, 'utf8'));
  } catch {
    return false;
  }
  if (!existsSync(out)) return false;
  for (const [file, [mtimeMs, size]] of Object.entries(manifest.inputs)) {
    let stat;
    try {
      stat = statSync(join(ROOT, file));
    } catch {
      return false;
    }
    if (stat.mtimeMs !== mtimeMs || stat.size !== size) return false;
  }
  return true;
}

/** esbuild plugin: each project module keeps its own `__dirname`, `__filename` and `require.main === module`. */
function sourcePlacePlugin(entry, out) {
  const entryFile = resolve(ROOT, entry);
  return {
    name: 'source-place',
    setup(build) {
      build.onLoad({ filter: /\.ts$/ }, (args) => {
        if (args.path.includes(`${join('node_modules', '')}`)) return undefined;
        const fromBundle = relative(dirname(out), dirname(args.path)).split('\\').join('/') || '.';
        const file = relative(dirname(out), args.path).split('\\').join('/');
        const contents = readFileSync(args.path, 'utf8')
          .replace(/require\.main === module/g, args.path === entryFile ? 'true' : 'false')
          .replace(/\b__dirname\b/g, `require('node:path').join(__dirname, ${JSON.stringify(fromBundle)})`)
          .replace(/\b__filename\b/g, `require('node:path').join(__dirname, ${JSON.stringify(file)})`);
        return { contents, loader: 'ts' };
      });
    },
  };
}

/** Builds the bundle of `entry` and its manifest (written under temporary names, then renamed: two processes may build at once). */
async function build(entry) {
  const esbuild = require('esbuild');
  const out = bundlePath(entry);
  mkdirSync(dirname(out), { recursive: true });
  const temp = `${out}.${process.pid}.tmp`;
  const result = await esbuild.build({
    entryPoints: [join(ROOT, entry)],
    outfile: temp,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: `node${process.versions.node.split('.')[0]}`,
    packages: 'external',
    metafile: true,
    logLevel: 'error',
    plugins: [sourcePlacePlugin(entry, out)],
  });
  const inputs = {};
  for (const file of [...Object.keys(result.metafile.inputs), relative(ROOT, __filename)]) {
    const path = resolve(ROOT, file);
    const stat = statSync(path);
    inputs[relative(ROOT, path).split('\\').join('/')] = [stat.mtimeMs, stat.size];
  }
  writeFileSync(`${out}.inputs.json.${process.pid}.tmp`, `${JSON.stringify({ entry, inputs })}\n`);
  renameSync(temp, out);
  renameSync(`${out}.inputs.json.${process.pid}.tmp`, `${out}.inputs.json`);
  return out;
}

/** The path of a fresh bundle of `entry` (built first when missing or stale). */
async function ensureBuilt(entry) {
  return isFresh(entry) ? bundlePath(entry) : build(entry);
}

/**
 * A fresh bundle's exports, synchronously (a worker thread's module must be ready when it is required): a
 * stale bundle is rebuilt by a child process, since esbuild runs plugins only asynchronously.
 */
function load(entry) {
  if (!isFresh(entry)) require('node:child_process').execFileSync(process.execPath, [__filename, '--build', entry], { stdio: 'inherit' });
  return require(bundlePath(entry));
}

async function main() {
  const [, , first, ...rest] = process.argv;
  if (first === '--build') {
    for (const entry of rest.length > 0 ? rest : entriesOfScripts()) await ensureBuilt(entry);
    return;
  }
  if (first === undefined || !first.endsWith('.ts')) {
    process.stderr.write('usage: node scripts/launch.cjs <entry.ts> [args…] | --build\n');
    process.exitCode = 2;
    return;
  }
  const out = await ensureBuilt(first);
  // The command sees its own arguments at process.argv[2…], as when node runs it directly.
  process.argv = [process.argv[0], out, ...rest];
  require(out);
}

module.exports = { ensureBuilt, load, isFresh };

if (require.main === module) {
  main().catch((error) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
