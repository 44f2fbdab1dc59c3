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

/**
 * rxjs in one file. `require('rxjs')` reads ~220 files: ~100 ms of CPU at every start, a third of a compiled
 * command's start-up; the same code bundled into one file loads in ~20 ms. The engine's bundles keep rxjs
 * external; instead every public entry point of the package (rxjs, rxjs/operators, rxjs/testing, …) is bundled
 * into ONE file, sharing one copy of rxjs's internals, and each is put in require's cache under the path Node
 * resolves it to. So everything in the process that asks for rxjs — the engine's bundle, a user's strategy
 * module (required, loaded through tsx, or imported as ESM, which reads the same cache), the testkit — gets the
 * same instance: one Observable class, one set of schedulers. Rebuilt when the installed rxjs changes.
 */
const RXJS_ENTRIES = ['rxjs', 'rxjs/operators', 'rxjs/testing', 'rxjs/ajax', 'rxjs/fetch', 'rxjs/webSocket'];
const RXJS_BUNDLE = join(DIST, 'vendor', 'rxjs.cjs');

function installedRxjs() {
  const packageJson = require.resolve('rxjs/package.json');
  const stat = statSync(packageJson);
  return `${JSON.parse(readFileSync(packageJson, 'utf8')).version} ${stat.mtimeMs} ${stat.size}`;
}

function rxjsBundleIsFresh() {
  try {
    return readFileSync(`${RXJS_BUNDLE}.version`, 'utf8') === installedRxjs() && existsSync(RXJS_BUNDLE);
  } catch {
    return false;
  }
}

async function buildRxjsBundle() {
  mkdirSync(dirname(RXJS_BUNDLE), { recursive: true });
  const temp = `${RXJS_BUNDLE}.${process.pid}.tmp`;
  await require('esbuild').build({
    stdin: { contents: `module.exports = {${RXJS_ENTRIES.map((e) => `${JSON.stringify(e)}: require(${JSON.stringify(e)})`).join(', ')}};`, resolveDir: ROOT, loader: 'js' },
    outfile: temp,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: `node${process.versions.node.split('.')[0]}`,
    logLevel: 'error',
  });
  writeFileSync(`${RXJS_BUNDLE}.version.${process.pid}.tmp`, installedRxjs());
  renameSync(temp, RXJS_BUNDLE);
  renameSync(`${RXJS_BUNDLE}.version.${process.pid}.tmp`, `${RXJS_BUNDLE}.version`);
}

/** Puts the one-file rxjs in require's cache (see above); without a fresh bundle, rxjs loads as usual. */
function installRxjs() {
  if (!rxjsBundleIsFresh()) return;
  const Module = require('node:module');
  const byEntry = require(RXJS_BUNDLE);
  for (const entry of RXJS_ENTRIES) {
    const file = require.resolve(entry);
    if (Module._cache[file] !== undefined) continue; // already loaded from the package: keep that one
    const cached = new Module(file, module);
    cached.filename = file;
    cached.paths = Module._nodeModulePaths(dirname(file));
    cached.exports = byEntry[entry];
    cached.loaded = true;
    Module._cache[file] = cached;
  }
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
  installRxjs();
  return require(bundlePath(entry));
}

async function main() {
  const [, , first, ...rest] = process.argv;
  if (first === '--build') {
    if (!rxjsBundleIsFresh()) await buildRxjsBundle();
    for (const entry of rest.length > 0 ? rest : entriesOfScripts()) await ensureBuilt(entry);
    return;
  }
  if (first === undefined || !first.endsWith('.ts')) {
    process.stderr.write('usage: node scripts/launch.cjs <entry.ts> [args…] | --build\n');
    process.exitCode = 2;
    return;
  }
  if (!rxjsBundleIsFresh()) await buildRxjsBundle();
  installRxjs();
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
