import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { parse } from 'csv-parse/sync'
import proj4 from 'proj4'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DuckDbLake } from '../../functions/adapters/duckdb-lake.ts'
import { FsObjectStore } from '../../functions/adapters/fs-object-store.ts'
import { runMarts } from '../../functions/core/analytics/run.ts'
import { inferDropDate } from '../../functions/core/ingest/drop-date.ts'
import { ingestDrop } from '../../functions/core/ingest/ingest.ts'
import { fixedClock } from '../../functions/core/ports.ts'
import { loadReference } from '../../functions/core/reference/load.ts'
import { DEFAULT_WEIGHTS_FILE } from '../../functions/core/reference/weights.ts'
import { sharedData } from '../helpers/shared-data.ts'

/**
 * The concentration and hotspot_candidates marts over 36 months of real data.police.uk street crime (City of
 * London, 2017-12 .. 2020-11), as of 2020-11-30, against an independent computation straight from the CSV
 * files: its own CSV parse, duplicate rule, projection (proj4 with the EPSG:27700 definition), weights and
 * ranking. Nothing of the pipeline's ingest, staging or geo code is used for the expected figures.
 */
const { path: STREET, present } = sharedData('police-uk/city-of-london/street', 'concentration on real data')

const AS_OF = '2020-11-30'
/** The 12 months ending with as_of's month (data.police.uk dates a record by its month only). */
const MONTHS = Array.from({ length: 12 }, (_, i) => {
  const d = new Date(Date.UTC(2019, 11 + i, 1))
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`
})

/** EPSG:27700 (OSGB36 / British National Grid) with the 7-parameter Helmert shift from WGS84. */
const EPSG_27700 =
  '+proj=tmerc +lat_0=49 +lon_0=-2 +k=0.9996012717 +x_0=400000 +y_0=-100000 +ellps=airy ' +
  '+towgs84=446.448,-125.157,542.06,0.15,0.247,0.842,-20.489 +units=m +no_defs'
const toBng = proj4('EPSG:4326', EPSG_27700)

interface Located {
  month: string
  easting: number
  northing: number
  harm: number
}

/** The current, located incidents of the period with their harm, from the raw files. */
function expectedIncidents(files: string[]): Located[] {
  const weightRows = parse(readFileSync(DEFAULT_WEIGHTS_FILE), {
    columns: true,
    comment: '#',
    skip_empty_lines: true,
  }) as { crime_type: string; offence_code?: string; days: string }[]
  const days = new Map<string, number>()
  for (const w of weightRows) if (!w.offence_code) days.set(w.crime_type, Number(w.days))
  days.set('Anti-social behaviour', 0) // not a notifiable crime: counted, not harmed

  // police.uk: a Crime ID repeated within a file is the same crime, its last row wins (the files are ingested in
  // month order, so a later file would win too); anti-social behaviour rows have no id and are all kept
  const byId = new Map<string, Record<string, string>>()
  const withoutId: Record<string, string>[] = []
  for (const file of files) {
    for (const row of parse(readFileSync(file), { columns: true }) as Record<string, string>[]) {
      const id = row['Crime ID'] as string
      if (id) byId.set(id, row)
      else withoutId.push(row)
    }
  }
  const located: Located[] = []
  for (const row of [...byId.values(), ...withoutId]) {
    const month = row.Month as string
    if (!MONTHS.includes(month) || !row.Longitude || !row.Latitude) continue
    const [e, n] = toBng.forward([Number(row.Longitude), Number(row.Latitude)]) as [number, number]
    const weight = days.get(row['Crime type'] as string)
    if (weight === undefined) throw new Error(`no weight for ${row['Crime type']}`)
    // DESIGN section 3: easting and northing are stored as integer metres
    located.push({ month, easting: Math.round(e), northing: Math.round(n), harm: weight })
  }
  return located
}

interface Cell {
  x: number
  y: number
  harm: number
  count: number
}

function cellsOf(incidents: Located[], size: number): Cell[] {
  const cells = new Map<string, Cell>()
  for (const i of incidents) {
    const x = Math.floor(i.easting / size)
    const y = Math.floor(i.northing / size)
    const key = `${x},${y}`
    const cell = cells.get(key) ?? { x, y, harm: 0, count: 0 }
    cell.harm += i.harm
    cell.count += 1
    cells.set(key, cell)
  }
  // weights have 2 decimals: round away float summation noise so equal harms tie exactly (as the mart does)
  for (const cell of cells.values()) cell.harm = Math.round(cell.harm * 1e6) / 1e6
  return [...cells.values()]
}

/** Most first; ties by x, then y. */
const ranked = (cells: Cell[], by: 'harm' | 'count') =>
  [...cells].sort((a, b) => b[by] - a[by] || a.x - b.x || a.y - b.y)

const sum = (cells: Cell[], by: 'harm' | 'count') => cells.reduce((s, c) => s + c[by], 0)

function shares(cells: Cell[]) {
  const top1 = Math.ceil(cells.length / 100)
  const top5 = Math.ceil(cells.length / 20)
  const byHarm = ranked(cells, 'harm')
  const byCount = ranked(cells, 'count')
  return {
    cells: cells.length,
    top1_cells: top1,
    top5_cells: top5,
    top1_share_harm: sum(byHarm.slice(0, top1), 'harm') / sum(cells, 'harm'),
    top5_share_harm: sum(byHarm.slice(0, top5), 'harm') / sum(cells, 'harm'),
    top1_share_count: sum(byCount.slice(0, top1), 'count') / sum(cells, 'count'),
    top5_share_count: sum(byCount.slice(0, top5), 'count') / sum(cells, 'count'),
  }
}

/** The top 5% of cells by harm (harm > 0): the candidates, or one month's leaders. */
function top5ByHarm(cells: Cell[]): Cell[] {
  return ranked(cells, 'harm')
    .slice(0, Math.ceil(cells.length / 20))
    .filter((c) => c.harm > 0)
}

/**
 * The independent figure as the mart gives it: every double a mart outputs is rounded to 6 decimals (DESIGN
 * section 6), so the two differ by at most half a millionth (and a rounding error of the sums, 1e-9 relative).
 */
const near = (actual: unknown, expected: number) =>
  expect(Math.abs((actual as number) - expected)).toBeLessThanOrEqual(
    5e-7 + 1e-9 * Math.max(1, Math.abs(expected)),
  )

describe.skipIf(!present)('concentration and hotspot candidates on data.police.uk City of London', () => {
  let root: string
  let lake: DuckDbLake
  let incidents: Located[]
  let topCell: Cell
  const clock = fixedClock('2026-11-20T12:00:00Z')
  const files = present
    ? readdirSync(STREET)
        .filter((f) => f.endsWith('.csv'))
        .sort()
        .map((f) => path.join(STREET, f))
    : []

  beforeAll(async () => {
    incidents = expectedIncidents(files)
    topCell = ranked(cellsOf(incidents, 100), 'harm')[0] as Cell
    root = await mkdtemp(path.join(tmpdir(), 'hotspot-concentration-'))
    const store = new FsObjectStore(root)
    for (const file of files) {
      await ingestDrop({
        store,
        clock,
        feed: 'incidents',
        file,
        sourceName: file,
        dropDate: inferDropDate(file),
      })
    }
    await loadReference(store, 'weights', DEFAULT_WEIGHTS_FILE, clock)
    // a register of one hotspot: a 60 m square centred in the 100 m cell with the most harm, in clear since June
    // 2020, so its 25 m cells (centres 37.5 and 62.5 m into the cell) all lie in that cell
    const cx = topCell.x * 100 + 50
    const cy = topCell.y * 100 + 50
    const ring = [
      [cx - 30, cy - 30],
      [cx + 30, cy - 30],
      [cx + 30, cy + 30],
      [cx - 30, cy + 30],
      [cx - 30, cy - 30],
    ].map(([e, n]) => toBng.inverse([e as number, n as number]) as [number, number])
    const registerFile = path.join(root, 'register.geojson')
    writeFileSync(
      registerFile,
      JSON.stringify({
        type: 'FeatureCollection',
        features: [
          {
            type: 'Feature',
            properties: {
              hotspot_id: 'city-01',
              name: 'Top harm cell',
              borough: 'City of London',
              commander_id: 'cmd-01',
              phases: [{ phase: 'clear', from: '2020-06-01' }],
            },
            geometry: { type: 'Polygon', coordinates: [ring] },
          },
        ],
      }),
    )
    await loadReference(store, 'register', registerFile, clock)
    lake = await DuckDbLake.open(root)
    await runMarts({
      store,
      engine: lake,
      clock,
      asOf: AS_OF,
      marts: ['concentration', 'hotspot_candidates'],
    })
    await lake.refresh()
  }, 300_000)

  afterAll(async () => {
    lake?.close()
    if (root) await rm(root, { recursive: true, force: true })
  })

  it('matches the shares computed from the raw files, at 25 m and at 100 m', async () => {
    const { rows } = await lake.rows(
      `select * exclude (as_of, run_id) from concentration where as_of = date '${AS_OF}' order by grid_m`,
    )
    expect(rows.map((r) => r.grid_m)).toEqual([25, 100])
    for (const row of rows) {
      const expected = shares(cellsOf(incidents, row.grid_m as number))
      expect(row).toMatchObject({
        period_from: '2019-12-01',
        period_to: AS_OF,
        cells: expected.cells,
        top1_cells: expected.top1_cells,
        top5_cells: expected.top5_cells,
      })
      for (const share of [
        'top1_share_harm',
        'top5_share_harm',
        'top1_share_count',
        'top5_share_count',
      ] as const) {
        near(row[share], expected[share])
      }
      expect(row.top1_share_harm as number).toBeGreaterThan(0)
      expect(row.top5_share_harm as number).toBeGreaterThanOrEqual(row.top1_share_harm as number)
    }
  })

  it('lists the same candidate cells, harm, counts and months in the monthly top 5%', async () => {
    const { rows } = await lake.rows(
      `select * exclude (as_of, run_id) from hotspot_candidates where as_of = date '${AS_OF}' order by harm_rank`,
    )
    const year = top5ByHarm(cellsOf(incidents, 100))
    const monthlyLeaders = MONTHS.map((month) => {
      const cells = cellsOf(
        incidents.filter((i) => i.month === month),
        100,
      )
      return new Set(top5ByHarm(cells).map((c) => `${c.x},${c.y}`))
    })
    expect(rows.length).toBe(year.length)
    expect(rows.length).toBeGreaterThan(0)
    year.forEach((cell, i) => {
      const row = rows[i] as Record<string, unknown>
      expect(row).toMatchObject({
        cell_x: cell.x,
        cell_y: cell.y,
        easting: cell.x * 100 + 50,
        northing: cell.y * 100 + 50,
        crime_count: cell.count,
        harm_rank: i + 1,
        months_in_top5: monthlyLeaders.filter((leaders) => leaders.has(`${cell.x},${cell.y}`)).length,
        // the register's only hotspot lies inside the top cell; its 100 m buffer ring does not count
        in_hotspot: cell.x === topCell.x && cell.y === topCell.y,
      })
      near(row.harm, cell.harm)
    })
  })
})
