import { mkdirSync } from 'node:fs'
import path from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { htmlPreview } from '../../functions/core/reports/document/mjml.ts'
import type { RenderedEmail } from '../../functions/core/reports/model.ts'
import { renderWeeklyScorecard } from '../../functions/core/reports/weekly/document.ts'
import { browserTestsEnabled, launchChromium } from '../unit/helpers/browser.ts'
import { COMMANDER, scorecardImages, scorecardInput, scorecardRows } from '../unit/helpers/scorecard-input.ts'

/**
 * The weekly scorecard as a phone shows it: its HTML (images inlined as data: URIs, as in the preview files)
 * opened in Debian's headless Chromium at 375 px wide. Every image must load, the first table must be visible
 * and fit, nothing may scroll sideways, and nothing is fetched from the network. Full-page screenshots go to
 * tests/artifacts/ for people to look at.
 */

const ARTIFACTS = path.resolve(import.meta.dirname, '../artifacts')
const PHONE = { width: 375, height: 812 }
/** Sub-pixel rounding only. */
const TOLERANCE = 1

interface ImageState {
  alt: string
  complete: boolean
  naturalWidth: number
  width: number
  right: number
}

interface Opened {
  page: Page
  /** Requests that tried to leave the page (anything but data: URIs). */
  network: string[]
  dialogs: string[]
  close: () => Promise<void>
}

const enabled = browserTestsEnabled()

describe.skipIf(!enabled)('weekly scorecard in headless Chromium at 375 px', () => {
  let browser: Browser

  beforeAll(async () => {
    browser = await launchChromium()
    mkdirSync(ARTIFACTS, { recursive: true })
  })
  afterAll(async () => {
    await browser?.close()
  })

  async function open(email: RenderedEmail, viewport = PHONE): Promise<Opened> {
    const context = await browser.newContext({ viewport, deviceScaleFactor: 2 })
    const network: string[] = []
    const dialogs: string[] = []
    await context.route('**/*', async (route) => {
      network.push(route.request().url())
      await route.abort()
    })
    const page = await context.newPage()
    page.on('dialog', async (dialog) => {
      dialogs.push(dialog.message())
      await dialog.dismiss()
    })
    await page.setContent(htmlPreview(email), { waitUntil: 'load' })
    return { page, network, dialogs, close: () => context.close() }
  }

  // in-page code as strings: the project's TypeScript has no DOM library
  const imagesOf = (page: Page) =>
    page.evaluate<ImageState[]>(
      `[...document.images].map((img) => ({ alt: img.alt, complete: img.complete, naturalWidth: img.naturalWidth,
        width: img.getBoundingClientRect().width, right: img.getBoundingClientRect().right }))`,
    )

  const scrollWidth = (page: Page) => page.evaluate<number>('document.scrollingElement.scrollWidth')

  it('every image loads, the first table is visible and fits, nothing scrolls sideways', async () => {
    const email = await renderWeeklyScorecard(scorecardInput())
    const { page, network, close } = await open(email)
    try {
      const images = await imagesOf(page)
      expect(images).toHaveLength(email.inlineImages.length)
      for (const image of images) {
        expect(image.complete, image.alt).toBe(true)
        expect(image.naturalWidth, image.alt).toBeGreaterThan(0)
        expect(image.width, image.alt).toBeGreaterThan(0)
        expect(image.right, image.alt).toBeLessThanOrEqual(PHONE.width + TOLERANCE)
      }

      const table = page.locator('table:has(> tbody > tr > th)').first()
      await expect.poll(() => table.isVisible()).toBe(true)
      expect(await table.locator('th').allTextContents()).toEqual([
        'Period',
        'Crimes',
        'Harm (days)',
        'vs last year',
      ])
      const box = await table.boundingBox()
      expect(box).not.toBeNull()
      expect(box?.x ?? -1).toBeGreaterThanOrEqual(0)
      expect((box?.x ?? 0) + (box?.width ?? Number.POSITIVE_INFINITY)).toBeLessThanOrEqual(
        PHONE.width + TOLERANCE,
      )
      // the figures are there, readable: the week row of the first hotspot
      const week = await table.locator('tr').nth(1).locator('td').allTextContents()
      expect(week.map((cell) => cell.trim())).toEqual(['Week', '7', '958', 'no significant change (5, +40%)'])

      expect(await scrollWidth(page)).toBeLessThanOrEqual(PHONE.width + TOLERANCE)
      expect(network).toEqual([])
      await page.screenshot({ path: path.join(ARTIFACTS, 'weekly-scorecard-375.png'), fullPage: true })
    } finally {
      await close()
    }
  })

  it('a desktop client shows the 600 px layout (artifact)', async () => {
    const email = await renderWeeklyScorecard(scorecardInput())
    const { page, close } = await open(email, { width: 1024, height: 800 })
    try {
      const widest = Math.max(...(await imagesOf(page)).map((image) => image.width))
      expect(widest).toBeLessThanOrEqual(600)
      expect(await scrollWidth(page)).toBeLessThanOrEqual(1024)
      await page.screenshot({ path: path.join(ARTIFACTS, 'weekly-scorecard-1024.png'), fullPage: true })
    } finally {
      await close()
    }
  })

  it('hostile names run no script, add no element and do not break the layout', async () => {
    const hotspots = [
      { id: 'HS-01', name: '<script>alert(1)</script>', borough: '</div></td></tr></table>' },
      { id: 'HS-02', name: '"><img src=x onerror=alert(2)>', borough: '<b>Bold</b>' },
    ]
    const rows = scorecardRows()
    rows.tips_monthly.push({
      month: '2026-11-01',
      group_type: 'source_type',
      group_value: '<img src=x onerror=alert(3)>',
      received: 99,
      actioned_within_48h: 1,
      share_actioned_within_48h: 1 / 99,
      interventions: 0,
      arrests: 0,
    })
    const email = await renderWeeklyScorecard(
      scorecardInput({
        commander: { ...COMMANDER, name: 'Ada <img src=x onerror=alert(4)>' },
        hotspots,
        rows,
        images: scorecardImages(hotspots),
      }),
    )
    const { page, network, dialogs, close } = await open(email)
    try {
      expect(dialogs).toEqual([])
      expect(await page.locator('script').count()).toBe(0)
      expect(await page.locator('img').count()).toBe(email.inlineImages.length)
      expect(await page.locator('b, i').count()).toBe(0)
      const text = await page.locator('body').textContent()
      expect(text).toContain('HS-01 <script>alert(1)</script>')
      expect(text).toContain('<img src=x onerror=alert(3)>')
      expect(await scrollWidth(page)).toBeLessThanOrEqual(PHONE.width + TOLERANCE)
      expect(network).toEqual([])
      await page.screenshot({
        path: path.join(ARTIFACTS, 'weekly-scorecard-injection-375.png'),
        fullPage: true,
      })
    } finally {
      await close()
    }
  })

  it('a very long hotspot name wraps instead of widening the page', async () => {
    const hotspots = [
      {
        id: 'HS-01',
        name: 'Northern-Industrial-Estate-And-Retail-Park-Approach-Road-Hotspot',
        borough: 'Northgate',
      },
      { id: 'HS-02', name: 'Canal Walk', borough: 'Northgate' },
    ]
    const email = await renderWeeklyScorecard(scorecardInput({ hotspots, images: scorecardImages(hotspots) }))
    const { page, close } = await open(email)
    try {
      expect(await scrollWidth(page)).toBeLessThanOrEqual(PHONE.width + TOLERANCE)
    } finally {
      await close()
    }
  })
})
