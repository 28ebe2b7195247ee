/**
 * Every drop of a generated city goes through the real ingest (the run's shared demo city, ingested once by
 * `hotspot ingest`'s code in tests/helpers/demo-city-setup.ts). The invariant must hold for each, and what the
 * ingest quarantines must be exactly what truth.json says was planted: the bad rows (line, code, column,
 * reason) and the superseded rows, with the planted exact duplicates counted as duplicates.
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { FsObjectStore } from '../../functions/adapters/fs-object-store.ts'
import { FEED_NAMES } from '../../functions/core/contracts/feeds.ts'
import type { FeedCounts, Truth } from '../../functions/core/generate/generate.ts'
import { inferDropDate } from '../../functions/core/ingest/drop-date.ts'
import type { IngestManifest, QuarantineRecord } from '../../functions/core/ingest/ingest.ts'
import { demoCity } from '../helpers/demo-city.ts'
import { quarantineLines, readParquetRows } from '../unit/helpers/lake.ts'

interface Expected {
  quarantine: { line: number; code: string; column: string | null; reason: string }[]
  duplicates: number
}

let city: string
let lake: FsObjectStore
let truth: Truth
/** The shared city's ingest manifests by feed and source (the drop's path, as `hotspot ingest` names it). */
const manifests = new Map<string, IngestManifest>()

beforeAll(async () => {
  city = demoCity().city
  lake = new FsObjectStore(demoCity().lake)
  truth = JSON.parse(readFileSync(path.join(city, 'truth.json'), 'utf8')) as Truth
  for await (const { key } of lake.list('manifests/ingest/')) {
    const manifest = JSON.parse((await lake.getBytes(key)).toString('utf8')) as IngestManifest
    manifests.set(`${manifest.feed}/${manifest.source.name}`, manifest)
  }
})

describe('a generated city through the real ingest', () => {
  it('ingests every drop; the quarantine holds exactly the planted bad and superseded rows', async () => {
    const expected = new Map<string, Expected>()
    const at = (feed: string, date: string) => {
      const key = `${feed}/${date}`
      let entry = expected.get(key)
      if (!entry) {
        entry = { quarantine: [], duplicates: 0 }
        expected.set(key, entry)
      }
      return entry
    }
    for (const bad of truth.bad_rows) at(bad.feed, bad.drop_date).quarantine.push(bad)
    for (const s of truth.superseded) {
      at(s.feed, s.drop_date).quarantine.push({
        line: s.line,
        code: 'superseded',
        column: 'call_id',
        reason: `a later row (line ${s.kept_line}) has the same key with different content`,
      })
    }
    for (const d of truth.duplicates) at(d.feed, d.drop_date).duplicates++

    const totals = { drops: 0, rowsIn: 0, accepted: 0, quarantined: 0, duplicate: 0 }
    let surveyQuarantine: QuarantineRecord[] = []
    let surveyCurated: string | null = null
    for (const feed of FEED_NAMES) {
      const folder = path.join(city, 'drops', feed)
      for (const name of readdirSync(folder).sort()) {
        const file = path.join(folder, name)
        const dropDate = inferDropDate(file)
        const manifest = manifests.get(`${feed}/${file}`)
        if (!manifest) throw new Error(`${feed}/${name} was not ingested`)
        expect(manifest.drop_date).toBe(dropDate)
        const where = `${feed}/${name}`
        const dataLines = readFileSync(file, 'utf8').split('\n').length - 2
        expect(manifest.rows_in, where).toBe(dataLines)
        expect(manifest.rows_in, where).toBe(
          manifest.rows_accepted + manifest.rows_quarantined + manifest.rows_duplicate,
        )
        const want = expected.get(`${feed}/${dropDate}`) ?? { quarantine: [], duplicates: 0 }
        expect(manifest.rows_duplicate, where).toBe(want.duplicates)
        const records = manifest.outputs.quarantine
          ? quarantineLines(await lake.getBytes(manifest.outputs.quarantine)).map(
              (line) => JSON.parse(line) as QuarantineRecord,
            )
          : []
        const got = records.map((r) => `${r.line} ${r.code} ${r.column}`).sort()
        expect(got, where).toEqual(want.quarantine.map((q) => `${q.line} ${q.code} ${q.column}`).sort())
        for (const record of records) {
          const planted = want.quarantine.find(
            (q) => q.line === record.line,
          ) as Expected['quarantine'][number]
          expect(record.reason, `${where}:${record.line}`).toContain(planted.reason)
        }
        if (feed === 'survey_responses' && records.length > 0) {
          surveyQuarantine = records
          surveyCurated = manifest.outputs.curated
        }
        totals.drops++
        totals.rowsIn += manifest.rows_in
        totals.accepted += manifest.rows_accepted
        totals.quarantined += manifest.rows_quarantined
        totals.duplicate += manifest.rows_duplicate
      }
    }
    const sum = (field: keyof FeedCounts) => FEED_NAMES.reduce((a, feed) => a + truth.counts[feed][field], 0)
    expect(totals.drops).toBe(sum('files'))
    expect(manifests.size).toBe(sum('files'))
    expect(totals.rowsIn).toBe(sum('rows'))
    expect(totals.quarantined).toBe(sum('bad_rows') + sum('superseded_rows'))
    expect(totals.duplicate).toBe(sum('duplicate_rows'))
    expect(totals.accepted).toBe(
      sum('rows') - sum('bad_rows') - sum('superseded_rows') - sum('duplicate_rows'),
    )
    // every feed had bad rows of every planted kind
    for (const feed of FEED_NAMES) expect(truth.counts[feed].bad_rows, feed).toBeGreaterThan(1)

    // the survey drops' phone numbers reach neither the quarantine nor the curated rows
    expect(surveyQuarantine.length).toBeGreaterThan(0)
    for (const record of surveyQuarantine) {
      expect(JSON.stringify(record)).not.toContain('07700')
      expect(record.record).not.toHaveProperty('phone_number')
    }
    const curated = await readParquetRows(path.join(lake.location, ...(surveyCurated as string).split('/')))
    expect(curated.length).toBeGreaterThan(0)
    expect(Object.keys(curated[0] as object)).not.toContain('phone_number')
    expect(JSON.stringify(curated)).not.toContain('07700')
  })
})
