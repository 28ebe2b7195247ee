import { execFile } from 'node:child_process'
import { copyFileSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DuckDbLake } from '../../functions/adapters/duckdb-lake.ts'
import { FsObjectStore } from '../../functions/adapters/fs-object-store.ts'
import { type IngestRequest, ingestDrop } from '../../functions/core/ingest/ingest.ts'
import { fixedClock } from '../../functions/core/ports.ts'
import { snapshotLake } from './helpers/lake-snapshot.ts'

const SAMPLE = path.resolve(import.meta.dirname, '../fixtures/sample-drops/incidents/2026-03-02.csv')
const POLICE_UK = path.resolve(
  import.meta.dirname,
  '../fixtures/sample-drops/police-uk/2020-01-city-of-london-street.csv',
)
const clock = fixedClock('2026-03-03T06:00:00Z')

let work: string
beforeEach(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'hotspot-idem-'))
})
afterEach(async () => {
  await rm(work, { recursive: true, force: true })
})

function request(lake: string, overrides: Partial<IngestRequest> = {}): IngestRequest {
  return {
    store: new FsObjectStore(lake),
    clock,
    feed: 'incidents',
    file: SAMPLE,
    sourceName: SAMPLE,
    dropDate: '2026-03-02',
    ...overrides,
  }
}

async function cleanRun(): Promise<Record<string, string>> {
  const lake = path.join(work, 'clean')
  await ingestDrop(request(lake))
  return snapshotLake(new FsObjectStore(lake))
}

describe('ingest idempotency', () => {
  it('writes one set of objects for a drop and one manifest', async () => {
    const snapshot = await cleanRun()
    const keys = Object.keys(snapshot)
    expect(keys.filter((k) => k.startsWith('curated/'))).toHaveLength(1)
    expect(keys.filter((k) => k.startsWith('manifests/ingest/'))).toHaveLength(1)
    expect(keys.filter((k) => k.startsWith('landing/'))).toEqual([
      'landing/incidents/2026-03-02/2026-03-02.csv',
    ])
  })

  it('leaves the lake unchanged when the same drop arrives again', async () => {
    const lake = path.join(work, 'twice')
    const first = await ingestDrop(request(lake))
    const before = await snapshotLake(new FsObjectStore(lake))
    const second = await ingestDrop(request(lake, { clock: fixedClock('2026-03-04T06:00:00Z') }))
    expect(first.outcome).toBe('ingested')
    expect(second.outcome).toBe('already-ingested')
    expect(second.manifest).toEqual(first.manifest)
    expect(await snapshotLake(new FsObjectStore(lake))).toEqual(before)
    expect(before).toEqual(await cleanRun())
  })

  it('gives the same lake as one clean run when the same drop is ingested twice at once', async () => {
    const lake = path.join(work, 'concurrent')
    const results = await Promise.all([ingestDrop(request(lake)), ingestDrop(request(lake))])
    expect(results[0].manifest.drop_id).toBe(results[1].manifest.drop_id)
    expect(await snapshotLake(new FsObjectStore(lake))).toEqual(await cleanRun())
  })

  it('gives one set of objects when two processes ingest the same drop at once', async () => {
    const lake = path.join(work, 'processes')
    const cli = path.resolve(import.meta.dirname, '../../bin/hotspot.mjs')
    const run = () =>
      promisify(execFile)(
        process.execPath,
        [cli, 'ingest', '--lake', lake, '--feed', 'incidents', '--json', SAMPLE],
        { cwd: path.resolve(import.meta.dirname, '../..') },
      )
    const [a, b] = await Promise.all([run(), run()])
    const manifests = [JSON.parse(a.stdout)[0], JSON.parse(b.stdout)[0]]
    expect(manifests[0].drop_id).toBe(manifests[1].drop_id)
    expect(manifests[0].ingested_at).toBe(manifests[1].ingested_at)
    const keys = Object.keys(await snapshotLake(new FsObjectStore(lake)))
    expect(keys.filter((k) => k.startsWith('curated/'))).toHaveLength(1)
    expect(keys.filter((k) => k.startsWith('quarantine/'))).toHaveLength(1)
    expect(keys.filter((k) => k.startsWith('manifests/ingest/'))).toHaveLength(1)
  }, 60_000)

  it('completes a run that crashed between the Parquet and the manifest, without duplicating anything', async () => {
    const lake = path.join(work, 'crash')
    await expect(
      ingestDrop(
        request(lake, {
          beforeManifest: () => {
            throw new Error('injected crash')
          },
        }),
      ),
    ).rejects.toThrow('injected crash')
    const afterCrash = await snapshotLake(new FsObjectStore(lake))
    expect(Object.keys(afterCrash).some((k) => k.startsWith('curated/'))).toBe(true)
    expect(Object.keys(afterCrash).some((k) => k.startsWith('manifests/ingest/'))).toBe(false)
    const rerun = await ingestDrop(request(lake, { clock: fixedClock('2026-03-05T06:00:00Z') }))
    expect(rerun.outcome).toBe('ingested')
    expect(await snapshotLake(new FsObjectStore(lake))).toEqual(await cleanRun())
    const duck = await DuckDbLake.open(lake)
    const { rows } = await duck.rows(
      'select count(*) as n, count(distinct incident_id) as ids from incidents_versions',
    )
    duck.close()
    expect(rows[0]).toEqual({ n: rerun.manifest.rows_accepted, ids: rerun.manifest.rows_accepted })
  })

  it('lets a corrected re-drop of the same day supersede record by record, old versions kept', async () => {
    const lake = path.join(work, 'correction')
    await ingestDrop(request(lake))
    const corrected = path.join(work, '2026-03-02.csv')
    const lines = readFileSync(SAMPLE, 'utf8').split('\n')
    const [header, first] = lines as [string, string]
    const columns = header.split(',')
    const fields = first.split(',')
    fields[columns.indexOf('crime_type')] = 'Robbery'
    writeFileSync(corrected, `${header}\n${fields.join(',')}\n`)
    const later = fixedClock('2026-03-03T18:00:00Z')
    const second = await ingestDrop(request(lake, { file: corrected, sourceName: corrected, clock: later }))
    expect(second.outcome).toBe('ingested')
    const duck = await DuckDbLake.open(lake)
    const id = fields[columns.indexOf('incident_id')]
    const current = await duck.rows(`select crime_type, drop_id from incidents where incident_id = '${id}'`)
    const versions = await duck.rows(
      `select count(*) as n from incidents_versions where incident_id = '${id}'`,
    )
    const others = await duck.rows(
      `select count(*) as n from incidents where drop_id <> '${second.manifest.drop_id}'`,
    )
    duck.close()
    expect(current.rows).toEqual([{ crime_type: 'Robbery', drop_id: second.manifest.drop_id }])
    expect(versions.rows[0]?.n).toBe(2)
    const firstAccepted = (await ingestDrop(request(lake))).manifest.rows_accepted
    expect(others.rows[0]?.n).toBe(firstAccepted - 1)
    // the same file name with new content is kept beside the original in landing/
    const landing = Object.keys(await snapshotLake(new FsObjectStore(lake))).filter((k) =>
      k.startsWith('landing/'),
    )
    expect(landing).toHaveLength(2)
  })

  it('stores a drop over a megabyte in landing/ once, and a correction under the same name beside it', async () => {
    // a drop this large is copied into landing/ while it is hashed (ingest.ts), not after
    const [header, first] = readFileSync(SAMPLE, 'utf8').split('\n') as [string, string]
    const columns = header.split(',')
    const big = (crimeType: string) => {
      const rows = Array.from({ length: 16_000 }, (_, i) => {
        const fields = first.split(',')
        fields[columns.indexOf('incident_id')] = `BIG-${i}`
        fields[columns.indexOf('crime_type')] = crimeType
        return fields.join(',')
      })
      return `${header}\n${rows.join('\n')}\n`
    }
    const file = path.join(work, 'big', '2026-03-02.csv')
    const lake = path.join(work, 'big-lake')
    await mkdir(path.dirname(file))
    writeFileSync(file, big('Burglary'))
    expect(statSync(file).size).toBeGreaterThan(1 << 20)
    const firstRun = await ingestDrop(request(lake, { file, sourceName: file }))
    const before = await snapshotLake(new FsObjectStore(lake))
    const again = await ingestDrop(request(lake, { file, sourceName: file }))
    expect([firstRun.outcome, again.outcome]).toEqual(['ingested', 'already-ingested'])
    expect(await snapshotLake(new FsObjectStore(lake))).toEqual(before)
    const original = readFileSync(file)
    writeFileSync(file, big('Robbery'))
    const corrected = await ingestDrop(request(lake, { file, sourceName: file }))
    expect(corrected.outcome).toBe('ingested')
    const landing = [firstRun, corrected].map((r) =>
      readFileSync(path.join(lake, r.manifest.source.landing_key)),
    )
    expect(landing[0]?.equals(original)).toBe(true)
    expect(landing[1]?.equals(readFileSync(file))).toBe(true)
    expect(corrected.manifest.source.landing_key).not.toBe(firstRun.manifest.source.landing_key)
  })

  it('replaces rows without a natural key wholesale when their day is re-dropped', async () => {
    const lake = path.join(work, 'asb')
    const month = path.join(work, '2020-01-city-of-london-street.csv')
    copyFileSync(POLICE_UK, month)
    const first = await ingestDrop(request(lake, { file: month, sourceName: month, dropDate: '2020-01-31' }))
    const rows = readFileSync(POLICE_UK, 'utf8').split('\n')
    // republished month: the first anti-social behaviour row is gone
    const firstAsb = rows.findIndex((r) => r.includes('Anti-social behaviour'))
    const republished = rows.filter((_, i) => i !== firstAsb).join('\n')
    writeFileSync(month, republished)
    await ingestDrop(
      request(lake, {
        file: month,
        sourceName: month,
        dropDate: '2020-01-31',
        clock: fixedClock('2026-03-04T00:00:00Z'),
      }),
    )
    const duck = await DuckDbLake.open(lake)
    const { rows: counts } = await duck.rows(
      `select count(*) filter (where key_derived) as asb, count(*) filter (where not key_derived) as crimes from incidents`,
    )
    duck.close()
    const asbInFile = rows.filter((r) => r.includes(',Anti-social behaviour,')).length
    expect(first.manifest.rows_in).toBe(rows.filter((r) => r.trim() !== '').length - 1)
    expect(counts[0]?.asb).toBe(asbInFile - 1)
  })
})
