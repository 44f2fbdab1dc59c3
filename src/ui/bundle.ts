import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from 'esbuild';

/**
 * The browser pages (`src/ui/pages/`: plain TypeScript, lightweight-charts) bundled with esbuild when the
 * process first needs them, in memory, once per process.
 *
 * Why then, and not at `npm ci` (`prepare`) or committed: `npm ci` + `npm run live` / `npm run replay` must
 * work with no other step, and a bundle built on demand can never be stale after an edit of the page sources,
 * nor be missing from a clone. It costs one esbuild run per page and process: 0.13–0.39 s for the dashboard
 * (the first includes starting esbuild's service), 0.08–0.12 s for the report script, each ~190 KB minified
 * (lightweight-charts included); the HTTP API starts the build when it starts listening, so the page is ready
 * before a browser asks. esbuild is deterministic: the same sources give the same bytes, so a replay
 * report stays byte-identical from run to run.
 */
export interface PageAsset {
  readonly contentType: string;
  readonly body: string;
}

const PAGES_DIR = join(__dirname, 'pages');

let dashboard: Promise<ReadonlyMap<string, PageAsset>> | undefined;
let report: Promise<ReportPageParts> | undefined;

/** The dashboard: `/` (the HTML shell) and its script and style under `/assets/`. */
export function dashboardAssets(): Promise<ReadonlyMap<string, PageAsset>> {
  dashboard ??= (async () => {
    const [html, css, js] = await Promise.all([readPage('dashboard.html'), readPage('dashboard.css'), bundlePage('dashboard.ts')]);
    return new Map<string, PageAsset>([
      ['/', { contentType: 'text/html; charset=utf-8', body: html }],
      ['/assets/dashboard.css', { contentType: 'text/css; charset=utf-8', body: css }],
      ['/assets/dashboard.js', { contentType: 'text/javascript; charset=utf-8', body: js }],
    ]);
  })();
  dashboard.catch(() => (dashboard = undefined));
  return dashboard;
}

/** What the replay report inlines: its style and its script (the chart library included). */
export interface ReportPageParts {
  readonly css: string;
  readonly js: string;
}

export function reportPageParts(): Promise<ReportPageParts> {
  report ??= (async () => {
    const [css, js] = await Promise.all([readPage('report.css'), bundlePage('report.ts')]);
    return { css, js };
  })();
  report.catch(() => (report = undefined));
  return report;
}

function readPage(name: string): Promise<string> {
  return readFile(join(PAGES_DIR, name), 'utf8');
}

async function bundlePage(entry: string): Promise<string> {
  const result = await build({
    entryPoints: [join(PAGES_DIR, entry)],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: ['es2020'],
    minify: true,
    charset: 'utf8',
    logLevel: 'silent',
    // Keeps lightweight-charts' licence notice (Apache-2.0) at the end of the bundle.
    legalComments: 'eof',
  });
  return result.outputFiles[0].text;
}
