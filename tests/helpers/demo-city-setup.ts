/**
 * Vitest global setup of the slow project: two years of the demo city (enough trial days for each hotspot's own
 * patrol effect, tests/e2e/planted-effects.test.ts), generated, loaded and ingested once per
 * run, as `npm start` does, and shared by the tests that need a whole city (given as `inject('demoCity')`).
 * Generating and ingesting it is most of such a test's cost; done once, it is paid once. So is measuring the
 * GPS presence of its ping period as the nightly runs would have (runPresenceBackfill, as `npm start` does), in a
 * second lake for the tests that read presence. A test that writes to a lake (a nightly run, a late drop) works
 * on its own copy (tests/helpers/demo-city.ts).
 */
import { readFileSync } from 'node:fs'
import { cp, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { TestProject } from 'vitest/node'
import { FsObjectStore } from '../../functions/adapters/fs-object-store.ts'
import { runIngestCommand } from '../../functions/cli/ingest-command.ts'
import { runPresenceBackfill } from '../../functions/cli/run-command.ts'
import { FEED_NAMES } from '../../functions/core/contracts/feeds.ts'
import { generateCity } from '../../functions/core/generate/generate.ts'
import type { Truth } from '../../functions/core/generate/truth.ts'
import { fixedClock } from '../../functions/core/ports.ts'
import { loadReference } from '../../functions/core/reference/load.ts'
import { TEST_INGEST_SETTINGS } from './ingest-settings.ts'

export interface ProvidedDemoCity {
  /** The generated city: drops/<feed>/, reference files, recipients.json, truth.json. */
  city: string
  /** A lake holding the weights, register and population and every drop, ingested; no run yet. */
  lake: string
  /** The same lake after the presence runs over the ping period: the as-of dates of those runs, in order. */
  presenceLake: string
  presenceRuns: string[]
  /** The city's last day, when it was ingested (03:30 UTC the next morning, as the nightly schedule would). */
  end: string
  ingestedAt: string
}

declare module 'vitest' {
  export interface ProvidedContext {
    demoCity: ProvidedDemoCity
  }
}

export const DEMO_CITY = { scale: 'demo', years: 2, seed: 7 } as const

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const root = await mkdtemp(path.join(tmpdir(), 'hotspot-demo-city-'))
  const city = path.join(root, 'city')
  const lake = path.join(root, 'lake')
  await generateCity({ ...DEMO_CITY, out: city })
  const { end } = (
    JSON.parse(readFileSync(path.join(city, 'truth.json'), 'utf8')) as { dates: { end: string } }
  ).dates
  const ingestedAt = `${end}T03:30:00Z`
  const clock = fixedClock(ingestedAt)
  const store = new FsObjectStore(lake)
  for (const [kind, file] of [
    ['weights', 'weights.csv'],
    ['register', 'register.geojson'],
    ['population', 'population.csv'],
  ] as const)
    await loadReference(store, kind, path.join(city, file), clock)
  for (const feed of FEED_NAMES) {
    const { failures } = await runIngestCommand([path.join(city, 'drops', feed)], {
      lake,
      feed,
      clock,
      settings: TEST_INGEST_SETTINGS,
    })
    if (failures.length > 0)
      throw new Error(
        `the demo city's ${feed} drops did not all ingest: ${failures.map((f) => f.message).join('; ')}`,
      )
  }
  const presenceLake = path.join(root, 'presence-lake')
  await cp(lake, presenceLake, { recursive: true })
  const period = (JSON.parse(readFileSync(path.join(city, 'truth.json'), 'utf8')) as Truth).patrol_pings
    .period
  if (!period) throw new Error('the demo city has no pings')
  const presenceRuns = await runPresenceBackfill({
    lake: presenceLake,
    from: period.first_day,
    to: period.last_day,
    clock,
  })
  project.provide('demoCity', { city, lake, presenceLake, presenceRuns, end, ingestedAt })
  return async () => {
    await rm(root, { recursive: true, force: true })
  }
}
