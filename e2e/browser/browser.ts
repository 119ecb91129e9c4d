/**
 * Headless Chromium for the browser tests: Debian's `chromium` (scripts/system-deps.sh installs it)
 * driven by playwright-core. Every page records console errors and uncaught page errors; a test
 * ends by asserting there were none. Screenshots go to test-results/<suite>/ in the repository.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const LAPTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

export interface Session {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Console errors and page errors seen so far, as text. */
  problems: string[];
  /** Saves a full-page screenshot of `page` (default: the session's) as test-results/<suite>/<name>.png. */
  shot(name: string, page?: Page): Promise<string>;
  /** Another page in a context of its own (its own session storage), watched like the first. */
  isolatedPage(): Promise<Page>;
  close(): Promise<void>;
}

export async function openBrowser(suite: string, opts: { offlineExcept?: string } = {}): Promise<Session> {
  assert.ok(
    existsSync(CHROMIUM),
    `${CHROMIUM} is missing: scripts/test.sh installs it (apt-get install -y chromium)`,
  );
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, timeout: 30_000 });
  const context = await browser.newContext({ viewport: LAPTOP });
  context.setDefaultTimeout(20_000);
  if (opts.offlineExcept !== undefined) {
    // No network but the system under test: anything else (a CDN) fails as on an offline machine.
    const allowed = new URL(opts.offlineExcept).origin;
    await context.route('**/*', (route) =>
      new URL(route.request().url()).origin === allowed
        ? route.continue()
        : route.abort('internetdisconnected'),
    );
  }
  const problems: string[] = [];
  const watch = (p: Page) => {
    p.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console error: ${m.text()} (${m.location().url})`);
    });
    p.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    return p;
  };
  const page = watch(await context.newPage());
  const dir = fileURLToPath(new URL(`../../test-results/${suite}/`, import.meta.url));
  mkdirSync(dir, { recursive: true });
  return {
    browser,
    context,
    page,
    problems,
    shot: async (name, p = page) => {
      const file = join(dir, `${name}.png`);
      await p.screenshot({ path: file, fullPage: true });
      return file;
    },
    isolatedPage: async () => {
      const other = await browser.newContext({ viewport: LAPTOP });
      other.setDefaultTimeout(20_000);
      return watch(await other.newPage());
    },
    close: () => browser.close(),
  };
}
