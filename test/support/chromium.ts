import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/**
 * Debian's Chromium driven by playwright-core (no browser download), for the specs that look at a page as a
 * person would. Skips only when /usr/bin/chromium is missing AND `CI` is not set; in CI it always runs (and
 * fails without Chromium: `.ci/run` installs it).
 */
export const CHROMIUM = '/usr/bin/chromium';
export const chromiumAvailable = existsSync(CHROMIUM) || Boolean(process.env.CI);

/**
 * Where screenshots go: `docs/` with UPDATE_SCREENSHOTS=1 (`npm run screenshots`, to refresh the README's
 * pictures), else the temporary directory.
 */
export function screenshotPath(name: string): string {
  const dir = process.env.UPDATE_SCREENSHOTS === '1' ? resolve(__dirname, '../../docs') : join(tmpdir(), 'engine-screenshots');
  mkdirSync(dir, { recursive: true });
  return join(dir, name);
}

export interface BrowserSession {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Console errors and warnings, page errors and HTTP answers ≥ 400, as text, in order. */
  readonly problems: string[];
  /** Every URL the page asked for. */
  readonly requests: string[];
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

export async function openBrowser(viewport = { width: 1280, height: 900 }): Promise<BrowserSession> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'engine-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic'],
    viewport,
  });
  const problems: string[] = [];
  const requests: string[] = [];
  const watch = (page: Page): Page => {
    page.on('request', (request) => requests.push(request.url()));
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('response', (response) => {
      if (response.status() >= 400) problems.push(`HTTP ${response.status()} ${response.request().method()} ${response.url()}`);
    });
    return page;
  };
  const page = watch(context.pages()[0] ?? (await context.newPage()));
  return {
    context,
    page,
    problems,
    requests,
    newPage: async () => watch(await context.newPage()),
    close: async () => {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
