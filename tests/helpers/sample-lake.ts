import path from 'node:path'
import { FsObjectStore } from '../../functions/adapters/fs-object-store.ts'
import { runIngestCommand } from '../../functions/cli/ingest-command.ts'
import type { FeedName } from '../../functions/core/contracts/feeds.ts'
import { fixedClock } from '../../functions/core/ports.ts'
import { loadReference } from '../../functions/core/reference/load.ts'
import { DEFAULT_WEIGHTS_FILE } from '../../functions/core/reference/weights.ts'
import { TEST_INGEST_SETTINGS } from './ingest-settings.ts'

/** The hand-made drops of tests/fixtures/sample-drops: a few days of each feed, a register, in one folder per feed. */
export const SAMPLES = path.resolve(import.meta.dirname, '../fixtures/sample-drops')

/** A lake at `lake` with the default weights, the samples' register and the sample drops of `feeds`, as of 4 March 2026. */
export async function sampleLake(lake: string, feeds: readonly FeedName[]): Promise<FsObjectStore> {
  const store = new FsObjectStore(lake)
  const clock = fixedClock('2026-03-04T06:00:00Z')
  await loadReference(store, 'weights', DEFAULT_WEIGHTS_FILE, clock)
  await loadReference(store, 'register', path.join(SAMPLES, 'register.geojson'), clock)
  for (const feed of feeds)
    await runIngestCommand([path.join(SAMPLES, feed)], { lake, feed, clock, settings: TEST_INGEST_SETTINGS })
  return store
}
