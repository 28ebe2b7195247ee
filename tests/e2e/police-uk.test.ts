import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { parse } from 'csv-parse/sync'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DuckDbLake } from '../../functions/adapters/duckdb-lake.ts'
import { FsObjectStore } from '../../functions/adapters/fs-object-store.ts'
import type { FeedName } from '../../functions/core/contracts/feeds.ts'
import { inGreatBritain } from '../../functions/core/great-britain/in-great-britain.ts'
import { inferDropDate } from '../../functions/core/ingest/drop-date.ts'
import { type IngestManifest, ingestDrop } from '../../functions/core/ingest/ingest.ts'
import { fixedClock } from '../../functions/core/ports.ts'
import { sharedData } from '../helpers/shared-data.ts'

const { path: DATA, present } = sharedData('police-uk/city-of-london', 'the data.police.uk tests')

const clock = fixedClock('2026-11-20T12:00:00Z')
const csvFiles = (folder: string) =>
  readdirSync(path.join(DATA, folder))
    .filter((f) => f.endsWith('.csv'))
    .sort()
    .map((f) => path.join(DATA, folder, f))

const rawCache = new Map<string, Record<string, string>[]>()
/** Raw police.uk rows as objects keyed by header, parsed in one go: a different route from the ingest's. */
function rawRows(file: string): Record<string, string>[] {
  let rows = rawCache.get(file)
  if (!rows) {
    rows = parse(readFileSync(file), { columns: true }) as Record<string, string>[]
    rawCache.set(file, rows)
  }
  return rows
}

describe.skipIf(!present)('data.police.uk City of London, 36 months', () => {
  let root: string
  let lake: DuckDbLake
  const manifests: { feed: FeedName; file: string; manifest: IngestManifest }[] = []
  const streetFiles = present ? csvFiles('street') : []
  const searchFiles = present ? csvFiles('stop-and-search') : []

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'hotspot-policeuk-'))
    const store = new FsObjectStore(root)
    for (const [feed, files] of [
      ['incidents', streetFiles],
      ['stop_searches', searchFiles],
    ] as const) {
      for (const file of files) {
        const { manifest } = await ingestDrop({
          store,
          clock,
          feed,
          file,
          sourceName: file,
          dropDate: inferDropDate(file),
        })
        manifests.push({ feed, file, manifest })
      }
    }
    lake = await DuckDbLake.open(root)
  }, 300_000)

  afterAll(async () => {
    lake?.close()
    if (root) await rm(root, { recursive: true, force: true })
  })

  const count = async (sql: string) => Number((await lake.rows(sql)).rows[0]?.n)

  it('ingests all 72 files with the invariant in every manifest and every row counted', () => {
    expect(streetFiles).toHaveLength(36)
    expect(searchFiles).toHaveLength(36)
    expect(manifests).toHaveLength(72)
    for (const { file, manifest } of manifests) {
      expect(manifest.rows_in, file).toBe(
        manifest.rows_accepted + manifest.rows_quarantined + manifest.rows_duplicate,
      )
      expect(manifest.rows_in, file).toBe(rawRows(file).length)
      expect(manifest.format).toBe(
        manifest.feed === 'incidents' ? 'police-uk-street' : 'police-uk-stop-search',
      )
    }
    const total = (feed: FeedName) =>
      manifests.filter((m) => m.feed === feed).reduce((n, m) => n + m.manifest.rows_in, 0)
    expect(total('incidents')).toBe(24_750)
    expect(total('stop_searches')).toBe(6_855)
  })

  it('names each monthly drop after the last day of its month', () => {
    const june = manifests.find((m) => m.file.endsWith('2018-06-city-of-london-street.csv'))
    expect(june?.manifest.drop_date).toBe('2018-06-30')
    const february = manifests.find((m) => m.file.endsWith('2020-02-city-of-london-stop-and-search.csv'))
    expect(february?.manifest.drop_date).toBe('2020-02-29')
  })

  it('keeps all 3,501 anti-social behaviour rows, none deduplicated, each with its own id', async () => {
    const expected = streetFiles
      .flatMap(rawRows)
      .filter((r) => r['Crime type'] === 'Anti-social behaviour').length
    expect(expected).toBe(3_501)
    expect(
      await count(`select count(*) as n from incidents where crime_type = 'Anti-social behaviour'`),
    ).toBe(3_501)
    expect(await count(`select count(distinct incident_id) as n from incidents where key_derived`)).toBe(
      3_501,
    )
  })

  it('keeps the 1,807 No Location rows with a null location, each accounted for', async () => {
    let expected = 0
    let exactCopies = 0
    for (const file of streetFiles) {
      const held = new Map<string, string>()
      for (const row of rawRows(file)) {
        const content = JSON.stringify(row)
        if (row.Location === 'No Location') {
          expected++
          if (row['Crime ID'] && held.get(row['Crime ID']) === content) exactCopies++
        }
        if (row['Crime ID']) held.set(row['Crime ID'], content)
      }
    }
    expect(expected).toBe(1_807)
    const stored = await count(
      `select count(*) as n from incidents_versions
       where location_description = 'No Location' and easting is null and northing is null and lat is null`,
    )
    const superseded = await count(
      `select count(*) as n from quarantine where feed = 'incidents' and (record->>'Location') = 'No Location'`,
    )
    expect(
      await count(`select count(*) as n from quarantine where feed = 'incidents' and code <> 'superseded'`),
    ).toBe(0)
    expect(stored + superseded + exactCopies).toBe(expected)
    expect(stored).toBeGreaterThan(1_700)
  })

  it('applies the duplicate and superseded rules to repeated Crime IDs', async () => {
    // within a file, every occurrence of a Crime ID after its first is a duplicate (same content as the row
    // currently held for that id) or supersedes the held row (different content): 252 such rows in all
    let extra = 0
    let duplicates = 0
    const lastWins = new Map<string, string>()
    for (const file of streetFiles) {
      const held = new Map<string, string>()
      for (const row of rawRows(file)) {
        const id = row['Crime ID'] as string
        if (id === '') continue
        const content = JSON.stringify(row)
        const previous = held.get(id)
        if (previous !== undefined) extra++
        if (previous === content) duplicates++
        held.set(id, content)
        lastWins.set(id, content)
      }
    }
    expect(extra).toBe(252)
    const incidents = manifests.filter((m) => m.feed === 'incidents').map((m) => m.manifest)
    const superseded = incidents.reduce((n, m) => n + (m.quarantined_by_code.superseded ?? 0), 0)
    expect(incidents.reduce((n, m) => n + m.rows_duplicate, 0)).toBe(duplicates)
    expect(superseded + duplicates).toBe(252)
    // the current version of every Crime ID is its last row
    const current = (
      await lake.rows('select incident_id, outcome, lsoa_code from incidents where not key_derived')
    ).rows
    expect(current).toHaveLength(lastWins.size)
    for (const row of current) {
      const raw = JSON.parse(lastWins.get(row.incident_id as string) as string) as Record<string, string>
      expect(row.outcome ?? '').toBe(raw['Last outcome category'])
      expect(row.lsoa_code ?? '').toBe(raw['LSOA code'])
    }
  })

  it('counts per crime type in the lake equal counts from the raw CSVs', async () => {
    const expected = new Map<string, number>()
    const seen = new Set<string>()
    for (const file of streetFiles) {
      for (const row of rawRows(file)) {
        const id = row['Crime ID'] as string
        if (id !== '' && seen.has(id)) continue
        if (id !== '') seen.add(id)
        const type = row['Crime type'] as string
        expected.set(type, (expected.get(type) ?? 0) + 1)
      }
    }
    const { rows } = await lake.rows('select crime_type, count(*) as n from incidents group by 1')
    expect(Object.fromEntries(rows.map((r) => [r.crime_type, r.n]))).toEqual(Object.fromEntries(expected))
  })

  it('places located rows on the British National Grid: City LSOAs inside the City, every row inside GB', async () => {
    // City of London Police also records crimes elsewhere in England (51 rows here), so only rows in the
    // City's own LSOAs (E01000001-E01000005, E01032739, E01032740) are expected inside the square mile
    const city = await lake.rows(
      `select min(easting) as min_e, max(easting) as max_e, min(northing) as min_n, max(northing) as max_n
       from incidents where lsoa_code in ('E01000001','E01000002','E01000003','E01000005','E01032739','E01032740')`,
    )
    const box = city.rows[0] as Record<string, number>
    expect(box.min_e).toBeGreaterThan(530_500)
    expect(box.max_e).toBeLessThan(534_000)
    expect(box.min_n).toBeGreaterThan(180_300)
    expect(box.max_n).toBeLessThan(182_200)
    const located = streetFiles.flatMap(rawRows).filter((r) => r.Latitude !== '')
    const placed = (await lake.rows('select easting, northing from incidents_versions where lat is not null'))
      .rows
    expect(placed.filter((r) => !inGreatBritain(Number(r.easting), Number(r.northing)))).toEqual([])
    expect(
      await count(`select count(*) as n from quarantine where reason like '%outside Great Britain%'`),
    ).toBe(0)
    const stored = placed.length
    const superseded = await count(
      `select count(*) as n from quarantine where feed = 'incidents' and (record->>'Latitude') <> ''`,
    )
    expect(stored + superseded).toBeLessThanOrEqual(located.length)
    expect(
      await count('select count(*) as n from incidents_versions where lat is not null and easting is null'),
    ).toBe(0)
  })

  it('keeps stop-and-search times exact in UTC, including searches filed under the next local month', async () => {
    const expected = searchFiles.flatMap(rawRows)
    expect(await count('select count(*) as n from stop_searches')).toBe(expected.length)
    const instants = new Map<string, number>()
    for (const r of expected) {
      const iso = new Date(r.Date as string).toISOString()
      instants.set(iso, (instants.get(iso) ?? 0) + 1)
    }
    const { rows } = await lake.rows('select searched_at, count(*) as n from stop_searches group by 1')
    expect(Object.fromEntries(rows.map((r) => [r.searched_at, r.n]))).toEqual(Object.fromEntries(instants))
    // 23:xx UTC on the last day of a BST month is the 1st of the next month in London: filed in that month
    const crossing = searchFiles.filter((file) =>
      rawRows(file).some((r) => {
        const utc = new Date(r.Date as string)
        return utc.getUTCHours() === 23 && new Date(utc.getTime() + 3_600_000).getUTCDate() === 1
      }),
    )
    expect(crossing.length).toBeGreaterThan(0)
    const finds = expected.filter((r) => r['Outcome linked to object of search'] === 'True').length
    expect(await count('select count(*) as n from stop_searches where outcome_linked')).toBe(finds)
  })

  it('reads other vintages alike: CRLF line endings and LSOA 2021 codes', async () => {
    const source = streetFiles[0] as string
    const lsoa21 = 'E01035722' // created in the 2021 revision: absent from the 2011 set
    const text = readFileSync(source, 'utf8')
      .replace(/E01000001/g, lsoa21)
      .replace(/\n/g, '\r\n')
    const root2 = await mkdtemp(path.join(tmpdir(), 'hotspot-vintage-'))
    try {
      const file = path.join(root2, '2017-12-force-street.csv')
      writeFileSync(file, text)
      const store = new FsObjectStore(path.join(root2, 'lake'))
      const { manifest } = await ingestDrop({
        store,
        clock,
        feed: 'incidents',
        file,
        sourceName: file,
        dropDate: '2017-12-31',
      })
      const original = manifests.find((m) => m.file === source)?.manifest as IngestManifest
      expect(manifest.rows_in).toBe(original.rows_in)
      expect(manifest.rows_accepted).toBe(original.rows_accepted)
      expect(manifest.quarantined_by_code).toEqual(original.quarantined_by_code)
      const other = await DuckDbLake.open(path.join(root2, 'lake'))
      const expected = rawRows(source).filter((r) => r['LSOA code'] === 'E01000001').length
      expect(expected).toBeGreaterThan(0)
      const stored = (
        await other.rows(`select count(*) as n from incidents_versions where lsoa_code = '${lsoa21}'`)
      ).rows
      expect(stored[0]?.n).toBe(expected)
      const noCarriageReturns = (
        await other.rows(`select count(*) as n from incidents_versions where context like '%\r%'`)
      ).rows
      expect(noCarriageReturns[0]?.n).toBe(0)
      other.close()
    } finally {
      await rm(root2, { recursive: true, force: true })
    }
  })
})
