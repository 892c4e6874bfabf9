import fs from 'node:fs';
import path from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';

/** Debian's Chromium (scripts/test-deps.sh installs it). */
export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = fs.existsSync(CHROMIUM);

/** Where the test run leaves its screenshots for review (git-ignored). */
export const OUTPUT = path.join(ROOT, 'test-output');

export const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface TestBrowser {
  browser: Browser;
  /** A fresh page at 1280x800. */
  page(): Promise<Page>;
  /** Close the browser (then kill its process by pid if it lingers) and remove its profile. */
  close(): Promise<void>;
}

/** A real headless Chromium with a fresh profile, driven over a pipe (no debugging port). */
export async function launchBrowser(): Promise<TestBrowser> {
  const profile = tempDir('jobctl-chromium-');
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    pipe: true,
    args: [...CHROMIUM_FLAGS, `--user-data-dir=${profile.dir}`],
    defaultViewport: { width: 1280, height: 800 },
  });
  const pid = browser.process()?.pid;
  return {
    browser,
    page: async () => {
      const p = await browser.newPage();
      await p.setViewport({ width: 1280, height: 800 });
      return p;
    },
    close: async () => {
      await Promise.race([browser.close(), new Promise((r) => setTimeout(r, 10_000))]).catch(() => undefined);
      if (pid !== undefined) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      profile.cleanup();
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(OUTPUT, { recursive: true });
  const file = path.join(OUTPUT, name);
  await page.screenshot({ path: file as `${string}.png` });
  return file;
}
