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
  /** Saves a full-page screenshot as test-results/<suite>/<name>.png. */
  shot(name: string): Promise<string>;
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
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  const dir = fileURLToPath(new URL(`../../test-results/${suite}/`, import.meta.url));
  mkdirSync(dir, { recursive: true });
  return {
    browser,
    context,
    page,
    problems,
    shot: async (name) => {
      const file = join(dir, `${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      return file;
    },
    close: () => browser.close(),
  };
}
