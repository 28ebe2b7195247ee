import { readFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { FsObjectStore } from '../../functions/adapters/fs-object-store.ts'
import { fixedClock } from '../../functions/core/ports.ts'
import { latestReference, loadReference } from '../../functions/core/reference/load.ts'
import { REGISTER_FIXTURE_FILE } from '../fixtures/reference/register-fixture.ts'

let dir: string
let store: FsObjectStore

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'hotspot-reference-load-'))
  store = new FsObjectStore(path.join(dir, 'lake'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function keys(): Promise<string[]> {
  const found: string[] = []
  for await (const { key } of store.list('')) found.push(key)
  return found
}

/** The fixture register with hs-01 renamed: another version of the same register. */
async function secondRegister(): Promise<string> {
  const register = JSON.parse(readFileSync(REGISTER_FIXTURE_FILE, 'utf8'))
  register.features[0].properties.name = 'Market Square (north)'
  const file = path.join(dir, 'register-v2.geojson')
  await writeFile(file, JSON.stringify(register))
  return file
}

describe('loading reference data', () => {
  it('records each version in a manifest with when it was first loaded', async () => {
    const result = await loadReference(
      store,
      'register',
      REGISTER_FIXTURE_FILE,
      fixedClock('2026-06-01T12:00:00Z'),
    )
    const manifest = JSON.parse(
      (await store.getBytes(`manifests/reference/register/${result.version}.json`)).toString('utf8'),
    )
    expect(manifest).toMatchObject({
      manifest_version: 1,
      kind: 'register',
      version: result.version,
      schema_version: 1,
      source: { name: 'register.geojson', bytes: readFileSync(REGISTER_FIXTURE_FILE).length },
      loaded_at: '2026-06-01T12:00:00.000Z',
      keys: result.keys,
      summary: result.summary,
    })
    expect(manifest.source.sha256.slice(0, 16)).toBe(result.version)
  })

  it('finds the latest version of a kind by when it was first loaded', async () => {
    expect(await latestReference(store, 'register')).toBeUndefined()
    const first = await loadReference(
      store,
      'register',
      REGISTER_FIXTURE_FILE,
      fixedClock('2026-06-01T12:00:00Z'),
    )
    const second = await loadReference(
      store,
      'register',
      await secondRegister(),
      fixedClock('2026-06-02T12:00:00Z'),
    )
    expect(second.version).not.toBe(first.version)
    expect((await latestReference(store, 'register'))?.version).toBe(second.version)

    // loading the first file again is a no-op: it does not become current again
    const again = await loadReference(
      store,
      'register',
      REGISTER_FIXTURE_FILE,
      fixedClock('2026-06-03T12:00:00Z'),
    )
    expect(again.outcome).toBe('already-loaded')
    expect((await latestReference(store, 'register'))?.version).toBe(second.version)
    expect(await latestReference(store, 'weights')).toBeUndefined()
  })

  it('of the same file twice at once leaves one set of objects and one manifest', async () => {
    const clock = fixedClock('2026-06-01T12:00:00Z')
    const results = await Promise.all([
      loadReference(store, 'register', REGISTER_FIXTURE_FILE, clock),
      loadReference(store, 'register', REGISTER_FIXTURE_FILE, clock),
    ])
    expect(results.map((r) => r.outcome).sort()).toEqual(['already-loaded', 'loaded'])
    const version = results[0]?.version
    expect(await keys()).toEqual([
      `manifests/reference/register/${version}.json`,
      `reference/area_cells/${version}.parquet`,
      `reference/hotspots/${version}.parquet`,
      `reference/register/${version}.geojson`,
    ])
  })

  it('completes a load that stopped before its manifest', async () => {
    const clock = fixedClock('2026-06-01T12:00:00Z')
    const { version } = await loadReference(store, 'register', REGISTER_FIXTURE_FILE, clock)
    // a fresh lake holding only what a crashed run had written: the register file
    await rm(path.join(dir, 'lake'), { recursive: true })
    await store.create(`reference/register/${version}.geojson`, readFileSync(REGISTER_FIXTURE_FILE))

    const result = await loadReference(store, 'register', REGISTER_FIXTURE_FILE, clock)

    expect(result.outcome).toBe('loaded')
    expect(await keys()).toEqual([
      `manifests/reference/register/${version}.json`,
      `reference/area_cells/${version}.parquet`,
      `reference/hotspots/${version}.parquet`,
      `reference/register/${version}.geojson`,
    ])
  })
})
