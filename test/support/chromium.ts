// Headless Chromium for the browser tests (test/console/browser.test.ts, test/notebooks/render/chromium.test.ts):
// the system's Chromium (apt-get install -y chromium, or TAMER_CHROMIUM), driven by playwright-core.
import type { Browser } from 'playwright-core'

export const CHROMIUM = process.env.TAMER_CHROMIUM ?? '/usr/bin/chromium'

/** Chromium launched headless for this test, without the background traffic a first run makes; closed at its end. */
export async function launchChromium(t: { teardown(fn: () => unknown): void }): Promise<Browser> {
  const { chromium } = await import('playwright-core')
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  })
  t.teardown(() => browser.close())
  return browser
}
