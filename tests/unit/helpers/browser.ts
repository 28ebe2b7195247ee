/**
 * Headless Chromium for the email tests: Debian's chromium package (/usr/bin/chromium) driven by playwright-core,
 * so no browser download is needed. Where it is not installed the browser tests skip with a message saying how to
 * install it; in CI (CI set) a missing Chromium fails instead, so that the tests cannot pass by skipping there.
 */
import { existsSync } from 'node:fs'
import { type Browser, chromium } from 'playwright-core'

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--headless',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

export const chromiumInstalled = existsSync(CHROMIUM_PATH)

export const CHROMIUM_MISSING = `headless Chromium tests skipped: ${CHROMIUM_PATH} not found (install it with \`apt-get install -y chromium\`, or set CHROMIUM_PATH)`

/** Whether the browser tests run here; logs why not when they do not, and refuses to skip in CI. */
export function browserTestsEnabled(): boolean {
  if (chromiumInstalled) return true
  if (process.env.CI) throw new Error(`CI must run the browser tests: ${CHROMIUM_MISSING}`)
  console.warn(CHROMIUM_MISSING)
  return false
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS })
}
