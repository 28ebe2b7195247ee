import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { parse } from 'csv-parse/sync'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hotspot, hotspotWith, SAMPLES } from './hotspot-cli.ts'

describe('hotspot CLI', () => {
  let work: string
  let lake: string
  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'hotspot-cli-'))
    lake = path.join(work, 'lake')
  })
  afterAll(async () => {
    await rm(work, { recursive: true, force: true })
  })

  it('ingests a folder in name order and prints the manifests with --json', async () => {
    const run = await hotspot(
      'ingest',
      '--lake',
      lake,
      '--feed',
      'incidents',
      '--json',
      path.join(SAMPLES, 'incidents'),
    )
    expect(run.code).toBe(0)
    const manifests = JSON.parse(run.stdout) as {
      drop_date: string
      rows_in: number
      rows_accepted: number
    }[]
    expect(manifests.map((m) => m.drop_date)).toEqual(['2026-03-02', '2026-03-03'])
    // 2026-03-02.csv: 26 data rows (24 incidents, an exact copy of line 7, a row at 0,0)
    expect(manifests[0]).toMatchObject({
      rows_in: 26,
      rows_accepted: 24,
      rows_quarantined: 1,
      rows_duplicate: 1,
    })
  })

  it('prints one line per drop without --json, and recognises a drop it already has', async () => {
    const run = await hotspot(
      'ingest',
      '--lake',
      lake,
      '--feed',
      'incidents',
      path.join(SAMPLES, 'incidents', '2026-03-02.csv'),
    )
    expect(run.code).toBe(0)
    expect(run.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^incidents-2026-03-02-[0-9a-f]{16} {2}26 in, 24 accepted, 1 quarantined, 1 duplicate {2}\(already ingested\)$/,
      ),
    ])
  })

  it('fails with a one-line reason on stderr and a non-zero exit for an unreadable drop', async () => {
    const bad = path.join(work, '2026-03-04.csv')
    writeFileSync(bad, 'incident_id,colour\nA,red\n')
    const run = await hotspot('ingest', '--lake', lake, '--feed', 'incidents', bad)
    expect(run.code).not.toBe(0)
    expect(run.stderr.trim().split('\n')).toHaveLength(1)
    expect(run.stderr).toMatch(/^hotspot: .*2026-03-04\.csv:1: rejected: unknown column\(s\) "colour"/)
  })

  it('rejects a survey drop without its header line and echoes none of its first row on stderr', async () => {
    const headerless = path.join(work, '2026-03-04-survey.csv')
    writeFileSync(headerless, 'R-1,INC-001,Jane Quartermaine,07700 900123,2026-03-02T09:00:00+00:00,2,3\n')
    const run = await hotspot('ingest', '--lake', lake, '--feed', 'survey_responses', headerless)
    expect(run.code).not.toBe(0)
    expect(run.stderr.trim().split('\n')).toHaveLength(1)
    expect(run.stderr).toMatch(/^hotspot: .*2026-03-04-survey\.csv:1: rejected: 7 unknown column names/)
    for (const needle of ['Jane', 'Quartermaine', '07700', '900123']) expect(run.stderr).not.toContain(needle)
  })

  it('refuses a file whose drop date it cannot tell', async () => {
    const undated = path.join(work, 'incidents.csv')
    writeFileSync(undated, 'incident_id,reported_at,crime_type,lat,lon\n')
    const run = await hotspot('ingest', '--lake', lake, '--feed', 'incidents', undated)
    expect(run.code).not.toBe(0)
    expect(run.stderr).toMatch(/cannot tell the drop date of incidents\.csv/)
  })

  it('follows symlinks in a folder, and names a dangling one on stderr with a non-zero exit', async () => {
    const drops = path.join(work, 'linked-drops')
    mkdirSync(drops)
    symlinkSync(path.join(SAMPLES, 'calls', '2026-03-02.csv'), path.join(drops, '2026-03-02.csv'))
    symlinkSync(path.join(work, 'never-delivered.csv'), path.join(drops, '2026-03-03.csv'))
    const run = await hotspot('ingest', '--lake', lake, '--feed', 'calls', drops)
    expect(run.code).not.toBe(0)
    expect(run.stdout).toMatch(/^calls-2026-03-02-[0-9a-f]{16} {2}\d+ in, /)
    expect(run.stderr.trim().split('\n')).toEqual([
      `hotspot: ${path.join(drops, '2026-03-03.csv')}: not ingested: a symbolic link to nothing`,
    ])
  })

  it('loads reference data', async () => {
    const run = await hotspot(
      'load',
      '--lake',
      lake,
      '--json',
      'register',
      path.join(SAMPLES, 'register.geojson'),
    )
    expect(run.code).toBe(0)
    expect(JSON.parse(run.stdout)).toMatchObject({ kind: 'register', outcome: 'loaded' })
    const bad = await hotspot('load', '--lake', lake, 'colours', path.join(SAMPLES, 'register.geojson'))
    expect(bad.code).not.toBe(0)
    // a population file with a negative count: refused, in one line naming the file, the line and the column
    const population = path.join(work, 'population.csv')
    writeFileSync(
      population,
      'area_code,ethnicity_group,residents\nE09000001,White,5799\nE09000001,Black,-193\n',
    )
    const refused = await hotspot('load', '--lake', lake, 'population', population)
    expect(refused.code).not.toBe(0)
    expect(refused.stderr).toBe(
      `hotspot: ${population}: line 3, column residents: "-193" is not a whole number of residents (0 or more)\n`,
    )
  })

  it('refuses a DuckDB memory limit that is not a size, on one line naming the setting, before any work', async () => {
    const run = await hotspotWith(
      { HOTSPOT_DUCKDB_MEMORY_LIMIT: 'lots' },
      'run',
      '--lake',
      lake,
      '--as-of',
      '2026-05-03',
    )
    expect(run.code).not.toBe(0)
    expect(run.stderr.trim().split('\n')).toHaveLength(1)
    expect(run.stderr).toMatch(/HOTSPOT_DUCKDB_MEMORY_LIMIT: is not a size such as 600MB or 2GB/)
    expect(existsSync(path.join(lake, 'results'))).toBe(false)
  })

  it('answers SQL as a JSON array, CSV or a table', async () => {
    const sql = `select incident_id, crime_type from incidents where incident_id in ('INC-00001', 'INC-00003') order by 1`
    const json = await hotspot('query', '--lake', lake, '--format', 'json', sql)
    expect(json.code).toBe(0)
    const rows = JSON.parse(json.stdout) as { incident_id: string; crime_type: string }[]
    // INC-00003 was corrected to Robbery by the 2026-03-03 drop: the view shows the current version
    expect(rows.map((r) => r.incident_id)).toEqual(['INC-00001', 'INC-00003'])
    expect(rows[1]?.crime_type).toBe('Robbery')
    const csv = await hotspot('query', '--lake', lake, '--format', 'csv', sql)
    expect(parse(csv.stdout, { columns: true })).toEqual(rows)
    const table = await hotspot('query', '--lake', lake, sql)
    expect(table.stdout).toMatch(/^incident_id {2}crime_type/)
    expect(table.stdout.trim().endsWith('(2 rows)')).toBe(true)
  })

  it('generates a city with the options as given, and refuses to write over it unless forced', async () => {
    const out = path.join(work, 'city')
    const options = ['--years', '1', '--seed', '3', '--end-date', '2026-06-03', '--out', out]
    const run = await hotspot('generate', ...options, '--json')
    expect(run.code).toBe(0)
    expect(JSON.parse(run.stdout)).toMatchObject({
      scale: 'demo',
      seed: 3,
      years: 1,
      end_date: '2026-05-31',
      out,
    })
    const again = await hotspot('generate', ...options)
    expect(again.code).not.toBe(0)
    expect(again.stderr).toMatch(/^hotspot: .*already holds drops/)
    const forced = await hotspot('generate', ...options, '--force')
    expect(forced.code).toBe(0)
    expect(forced.stdout).toMatch(
      /^generated demo city \(seed 3\) in .*2025-06-02 to 2026-05-31 \(364 days\)/,
    )
  }, 60_000)

  it('refuses SQL that would write, and a lake folder that does not exist, on one line', async () => {
    const forged = path.join(lake, 'ledger', 'forged.json')
    const write = await hotspot('query', '--lake', lake, `copy (select 'sent' as state) to '${forged}'`)
    expect(write.code).toBe(1)
    expect(write.stderr).toBe('hotspot: query runs one SELECT statement; this is a COPY statement\n')
    expect(existsSync(forged)).toBe(false)
    const missing = path.join(work, 'no-lake')
    const nowhere = await hotspot('query', '--lake', missing, 'select 1')
    expect(nowhere.code).toBe(1)
    expect(nowhere.stderr).toBe(`hotspot: no lake at ${missing}: the folder does not exist\n`)
  })

  it('reports a SQL error on one line', async () => {
    const run = await hotspot('query', '--lake', lake, 'select * from no_such_table')
    expect(run.code).not.toBe(0)
    expect(run.stderr.trim().split('\n')).toHaveLength(1)
    expect(run.stderr).toMatch(/^hotspot: .*no_such_table/)
  })
})
