/**
 * A real browser for the report pages: Debian's chromium driven by playwright-core (never a downloaded browser),
 * headless, with everything that would reach the network on its own switched off, and a fresh profile. Each
 * page load records every request and every console message, so a test can say "nothing left the page".
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS = path.resolve(__dirname, '..', '..', '..', 'test-artifacts');

export interface OpenedPage {
  page: Page;
  /** Every URL the page asked for (the document itself included). */
  requests: string[];
  /** Console messages of type error, and uncaught page errors. */
  errors: string[];
}

export class Browser {
  private constructor(private readonly ctx: BrowserContext, private readonly profile: string) {}

  static async launch(): Promise<Browser> {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: scripts/test.sh installs Debian's chromium package`);
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'report-chromium-'));
    const ctx = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync',
        '--no-first-run', '--disable-default-apps', '--disable-extensions'],
      viewport: { width: 1100, height: 900 },
    });
    return new Browser(ctx, profile);
  }

  async open(file: string, viewport?: { width: number; height: number }): Promise<OpenedPage> {
    const page = await this.ctx.newPage();
    if (viewport) await page.setViewportSize(viewport);
    const requests: string[] = [];
    const errors: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`file://${path.resolve(file)}`, { waitUntil: 'load' });
    return { page, requests, errors };
  }

  async close(): Promise<void> {
    await this.ctx.close();
    fs.rmSync(this.profile, { recursive: true, force: true });
  }
}

/** Saves a full-page PNG under test-artifacts/ (gitignored) and returns its path. */
export async function screenshot(p: Page, name: string): Promise<string> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await p.screenshot({ path: file, fullPage: true });
  return file;
}

/** Requests other than the page's own file and inline data: what would have left the machine. */
export function outsideRequests(requests: readonly string[]): string[] {
  return requests.filter((u) => !u.startsWith('file:') && !u.startsWith('data:'));
}
