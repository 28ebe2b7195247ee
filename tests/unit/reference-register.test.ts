import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { FsObjectStore } from '../../functions/adapters/fs-object-store.ts'
import { fromWgs84, toWgs84 } from '../../functions/core/geo.ts'
import { fixedClock } from '../../functions/core/ports.ts'
import { loadReference, ReferenceDataError } from '../../functions/core/reference/load.ts'
import {
  parseRegister,
  type RegisterFeature,
  rasteriseArea,
} from '../../functions/core/reference/register.ts'
import { FIXTURE_AREAS, REGISTER_FIXTURE_FILE } from '../fixtures/reference/register-fixture.ts'
import { sharedData } from '../helpers/shared-data.ts'

const clock = fixedClock('2026-06-01T12:00:00Z')

interface PhaseJson {
  phase: string
  from: string
  to?: string
}
interface FeatureJson {
  type: string
  properties: { phases: PhaseJson[] } & Record<string, unknown>
  geometry: { type: string; coordinates: unknown } | null
}
interface RegisterJson {
  type: string
  crs?: unknown
  features: FeatureJson[]
}

const fixture = (): RegisterJson => JSON.parse(readFileSync(REGISTER_FIXTURE_FILE, 'utf8'))

/** The item at `index`, which the test knows is there. */
function at<T>(items: readonly T[], index: number): T {
  const item = items[index]
  if (item === undefined) throw new Error(`no item ${index}`)
  return item
}
const propertiesOf = (register: RegisterJson, feature: number) => at(register.features, feature).properties
const phaseOf = (register: RegisterJson, feature: number, phase: number) =>
  at(propertiesOf(register, feature).phases, phase)
/** The exterior ring of a Polygon feature. */
const exteriorOf = (register: RegisterJson, feature: number) =>
  at((at(register.features, feature).geometry as { coordinates: number[][][] }).coordinates, 0)
let dir: string
let store: FsObjectStore

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'hotspot-reference-'))
  store = new FsObjectStore(path.join(dir, 'lake'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function keysOf(prefix = ''): Promise<string[]> {
  const keys: string[] = []
  for await (const { key } of store.list(prefix)) keys.push(key)
  return keys
}

async function query(sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(':memory:')
  const connection = await instance.connect()
  try {
    return (await connection.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[]
  } finally {
    connection.closeSync()
    instance.closeSync()
  }
}

const parquetOf = (key: string) => `read_parquet('${path.join(store.location, ...key.split('/'))}')`

describe('the register fixture', () => {
  it('has the corners it was designed with, to the millimetre, so the hand-worked cell counts apply', () => {
    fixture().features.forEach((feature, i) => {
      const geometry = feature.geometry as { type: string; coordinates: unknown }
      const polygons = (
        geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates
      ) as number[][][][]
      const designed = at(FIXTURE_AREAS, i).polygons
      polygons.forEach((rings, p) => {
        rings.forEach((points, r) => {
          points.forEach(([lon, lat], v) => {
            const { easting, northing } = fromWgs84(lat as number, lon as number)
            const [e, n] = at(at(at(designed, p), r), v)
            expect(Math.abs(easting - e)).toBeLessThan(0.001)
            expect(Math.abs(northing - n)).toBeLessThan(0.001)
          })
        })
      })
    })
  })
})

describe('loading a register', () => {
  it('stores one row per area with its attributes and the days of each phase', async () => {
    const result = await loadReference(store, 'register', REGISTER_FIXTURE_FILE, clock)
    const file = path.join(dir, 'lake', `reference/hotspots/${result.version}.parquet`)
    const rows = await query(
      `select area_id, role, name, commander_id, buffer_m, clear_from::varchar as clear_from, clear_to::varchar as clear_to,
         hold_from::varchar as hold_from, hold_to::varchar as hold_to, build_from::varchar as build_from,
         build_to::varchar as build_to, register_version
       from read_parquet('${file}')`,
    )
    const base = { register_version: result.version }
    expect(rows).toEqual([
      // buffer_m as given (25), or the 100 m default; the build phase is still open
      {
        ...base,
        area_id: 'hs-01',
        role: 'hotspot',
        name: 'Market Square',
        commander_id: 'cmd-01',
        buffer_m: 25,
        clear_from: '2024-01-08',
        clear_to: '2024-02-04',
        hold_from: '2024-02-05',
        hold_to: '2024-04-28',
        build_from: '2024-04-29',
        build_to: null,
      },
      {
        ...base,
        area_id: 'hs-02',
        role: 'hotspot',
        name: 'Station Approach',
        commander_id: 'cmd-02',
        buffer_m: 100,
        clear_from: '2024-01-08',
        clear_to: '2024-03-31',
        hold_from: '2024-04-01',
        hold_to: '2024-06-30',
        build_from: null,
        build_to: null,
      },
      {
        ...base,
        area_id: 'hs-03',
        role: 'hotspot',
        name: 'Market Square east',
        commander_id: 'cmd-01',
        buffer_m: 0,
        clear_from: '2024-03-04',
        clear_to: null,
        hold_from: null,
        hold_to: null,
        build_from: null,
        build_to: null,
      },
      // controls have no buffer and no commander
      {
        ...base,
        area_id: 'ctl-01',
        role: 'control',
        name: 'Comparison estate',
        commander_id: null,
        buffer_m: 0,
        clear_from: null,
        clear_to: null,
        hold_from: null,
        hold_to: null,
        build_from: null,
        build_to: null,
      },
      {
        ...base,
        area_id: 'ctl-02',
        role: 'control',
        name: 'Comparison parades',
        commander_id: null,
        buffer_m: 0,
        clear_from: '2024-01-08',
        clear_to: '2024-06-30',
        hold_from: null,
        hold_to: null,
        build_from: null,
        build_to: null,
      },
    ])
  })

  it('stores the file as given and its area cells under a version taken from its bytes', async () => {
    const bytes = await readFile(REGISTER_FIXTURE_FILE)
    const version = createHash('sha256').update(bytes).digest('hex').slice(0, 16)

    const result = await loadReference(store, 'register', REGISTER_FIXTURE_FILE, clock)

    expect(result).toMatchObject({ kind: 'register', version, outcome: 'loaded' })
    expect(result.keys).toEqual([
      `reference/register/${version}.geojson`,
      `reference/area_cells/${version}.parquet`,
      `reference/hotspots/${version}.parquet`,
    ])
    expect(await store.getBytes(`reference/register/${version}.geojson`)).toEqual(bytes)
    // hotspots hs-01 (4 x 4 cells), hs-02 (6 x 4 less a 2 x 2 hole), hs-03 (2 x 2): 16 + 20 + 4 = 40
    // buffers: hs-01 at 25 m is one cell deep along each side (4 x 4) plus the 4 corner cells, whose centres are
    //   17.7 m from the corner: 20. hs-02 at 100 m: cells with centres up to 87.5 m out form a 14 x 12 block
    //   (168) less its own 24 cells, less the 3 cells at each corner whose centres are more than 100 m from the
    //   corner ((87.5, 62.5) is 107.5 m, (62.5, 87.5), (87.5, 87.5)): 168 - 24 - 12 = 132, plus the 4 cells of
    //   its hole: 136. hs-03 has buffer_m 0. In all 20 + 136 = 156.
    // controls ctl-01 (8 x 8) and ctl-02 (two 2 x 2 squares): 64 + 8 = 72
    // shared: hs-03's 2 western cells lie in hs-01's buffer
    expect(result.summary).toEqual({
      register_version: version,
      hotspots: 3,
      controls: 2,
      hotspot_cells: 40,
      buffer_cells: 156,
      control_cells: 72,
      shared_cells: 2,
    })
  })

  it('writes area_cells rows that DuckDB reads back with the right cells, roles and validity', async () => {
    const { version } = await loadReference(store, 'register', REGISTER_FIXTURE_FILE, clock)
    const cells = parquetOf(`reference/area_cells/${version}.parquet`)

    const perArea = await query(`
      select area_id, role, count(*) as cells, min(cell_x) as min_x, max(cell_x) as max_x,
             min(cell_y) as min_y, max(cell_y) as max_y,
             cast(min(valid_from) as varchar) as valid_from, cast(max(valid_to) as varchar) as valid_to,
             count(distinct register_version) as versions, any_value(register_version) as register_version
      from ${cells} group by area_id, role order by area_id, role`)
    const row = (
      area_id: string,
      role: string,
      count: number,
      box: number[],
      from: string | null,
      to: string | null,
    ) => ({
      area_id,
      role,
      cells: String(count),
      min_x: box[0],
      max_x: box[1],
      min_y: box[2],
      max_y: box[3],
      valid_from: from,
      valid_to: to,
      versions: '1',
      register_version: version,
    })
    // E 530000 / 25 = 21200, N 180000 / 25 = 7200, and so on for each area's south-west corner
    expect(perArea).toEqual([
      row('ctl-01', 'control', 64, [21600, 21607, 7400, 7407], null, null),
      row('ctl-02', 'control', 8, [21640, 21645, 7400, 7401], '2024-01-08', '2024-06-30'),
      row('hs-01', 'buffer', 20, [21199, 21204, 7199, 7204], '2024-01-08', null),
      row('hs-01', 'hotspot', 16, [21200, 21203, 7200, 7203], '2024-01-08', null),
      row('hs-02', 'buffer', 136, [21236, 21249, 7196, 7207], '2024-01-08', '2024-06-30'),
      row('hs-02', 'hotspot', 20, [21240, 21245, 7200, 7203], '2024-01-08', '2024-06-30'),
      row('hs-03', 'hotspot', 4, [21204, 21205, 7200, 7201], '2024-03-04', null),
    ])

    const sameAreaTwice = await query(
      `select area_id, cell_x, cell_y from ${cells} group by all having count(*) > 1`,
    )
    expect(sameAreaTwice).toEqual([])

    // the hole of hs-02 (E 531050-531100, N 180025-180075) is buffer, not hotspot
    const hole = await query(
      `select role, count(*) as cells from ${cells} where area_id = 'hs-02' and cell_x in (21242, 21243)
       and cell_y in (7201, 7202) group by role`,
    )
    expect(hole).toEqual([{ role: 'buffer', cells: '4' }])

    // a buffer reaching into another hotspot keeps both rows
    const shared = await query(
      `select area_id, role, cell_x, cell_y from ${cells} where cell_x = 21204 and cell_y in (7200, 7201)
       order by cell_y, area_id`,
    )
    expect(shared).toEqual([
      { area_id: 'hs-01', role: 'buffer', cell_x: 21204, cell_y: 7200 },
      { area_id: 'hs-03', role: 'hotspot', cell_x: 21204, cell_y: 7200 },
      { area_id: 'hs-01', role: 'buffer', cell_x: 21204, cell_y: 7201 },
      { area_id: 'hs-03', role: 'hotspot', cell_x: 21204, cell_y: 7201 },
    ])

    const types = await query(`select column_name, column_type from (describe select * from ${cells})`)
    expect(types).toEqual([
      { column_name: 'area_id', column_type: 'VARCHAR' },
      { column_name: 'role', column_type: 'VARCHAR' },
      { column_name: 'cell_x', column_type: 'INTEGER' },
      { column_name: 'cell_y', column_type: 'INTEGER' },
      { column_name: 'valid_from', column_type: 'DATE' },
      { column_name: 'valid_to', column_type: 'DATE' },
      { column_name: 'register_version', column_type: 'VARCHAR' },
    ])
  })

  it('is a no-op the second time: already-loaded, same version, nothing new in the lake', async () => {
    const first = await loadReference(store, 'register', REGISTER_FIXTURE_FILE, clock)
    const keys = await keysOf()
    const parquet = await store.getBytes(first.keys[1] as string)

    const second = await loadReference(
      store,
      'register',
      REGISTER_FIXTURE_FILE,
      fixedClock('2026-07-01T00:00:00Z'),
    )

    expect(second).toEqual({ ...first, outcome: 'already-loaded' })
    expect(await keysOf()).toEqual(keys)
    expect(await store.getBytes(first.keys[1] as string)).toEqual(parquet)
  })
})

describe('buffers', () => {
  /** hs-01 of the fixture (100 m x 100 m on the grid) with another buffer. */
  const square = (buffer_m: number) => {
    const register = fixture()
    register.features = [at(register.features, 0)]
    propertiesOf(register, 0).buffer_m = buffer_m
    return parseRegister(JSON.stringify(register), 'square.geojson').features[0] as RegisterFeature
  }

  it('reach the second ring of cells only where their centres are within buffer_m', () => {
    // 40 m: each side gains a second row of 4 (centres 37.5 m out) and each corner 2 more cells, whose centres
    // are 39.5 m from the corner; the cell diagonally beyond (53.0 m) stays out: 20 + 16 + 8 = 44
    expect(rasteriseArea(square(40)).buffer.size).toBe(44)
    expect(rasteriseArea(square(25)).buffer.size).toBe(20)
    expect(rasteriseArea(square(0)).buffer.size).toBe(0)
    expect(rasteriseArea(square(40)).cells.size).toBe(16)
  })
})

describe('an invalid register', () => {
  type Mutation = (register: RegisterJson) => void
  const cases: [string, Mutation, RegExp][] = [
    [
      'a missing hotspot_id',
      (r) => delete propertiesOf(r, 1).hotspot_id,
      /^bad\.geojson: features\[1\], properties\.hotspot_id: required value is missing$/,
    ],
    [
      'a duplicate hotspot_id',
      (r) => (propertiesOf(r, 2).hotspot_id = 'hs-01'),
      /^bad\.geojson: features\[2\] \(hotspot_id hs-01\), properties\.hotspot_id: duplicate of features\[0\]$/,
    ],
    [
      'an unknown phase',
      (r) => (phaseOf(r, 0, 1).phase = 'patrol'),
      /features\[0\] \(hotspot_id hs-01\), properties\.phases\[1\]\.phase: unknown phase "patrol"/,
    ],
    [
      'a phase ending before it starts',
      (r) => (phaseOf(r, 1, 0).to = '2024-01-01'),
      /features\[1\] \(hotspot_id hs-02\), properties\.phases\[0\]\.to: 2024-01-01 is before from \(2024-01-08\)/,
    ],
    [
      'overlapping phases',
      (r) => (phaseOf(r, 1, 1).from = '2024-03-31'),
      /features\[1\] \(hotspot_id hs-02\), properties\.phases\[1\]\.from: 2024-03-31 is not after/,
    ],
    [
      'an open-ended phase before the last',
      (r) => delete phaseOf(r, 1, 0).to,
      /properties\.phases\[0\]\.to: only the last phase may be open-ended/,
    ],
    [
      'an impossible date',
      (r) => (phaseOf(r, 0, 0).from = '2024-02-30'),
      /properties\.phases\[0\]\.from: "2024-02-30" is not a date \(YYYY-MM-DD\)/,
    ],
    [
      'a hotspot without phases',
      (r) => (propertiesOf(r, 0).phases = []),
      /features\[0\] \(hotspot_id hs-01\), properties\.phases: a hotspot needs at least one phase/,
    ],
    [
      'a hotspot without a commander',
      (r) => delete propertiesOf(r, 0).commander_id,
      /features\[0\] \(hotspot_id hs-01\), properties\.commander_id: required value is missing/,
    ],
    [
      'a negative buffer',
      (r) => (propertiesOf(r, 0).buffer_m = -5),
      /properties\.buffer_m: must not be negative/,
    ],
    [
      'a buffer on a control area',
      (r) => (propertiesOf(r, 3).buffer_m = 50),
      /features\[3\] \(hotspot_id ctl-01\), properties\.buffer_m: a control area has no buffer/,
    ],
    [
      'a point geometry',
      (r) => (at(r.features, 0).geometry = { type: 'Point', coordinates: [-0.1, 51.5] }),
      /features\[0\] \(hotspot_id hs-01\), geometry\.type: must be Polygon or MultiPolygon, not "Point"/,
    ],
    [
      'no geometry',
      (r) => (at(r.features, 0).geometry = null),
      /features\[0\] \(hotspot_id hs-01\), geometry: a Polygon or MultiPolygon geometry is required/,
    ],
    [
      'latitude and longitude swapped',
      (r) => {
        const exterior = exteriorOf(r, 0)
        exterior.splice(0, exterior.length, ...exterior.map(([lon, lat]) => [lat as number, lon as number]))
      },
      /features\[0\] \(hotspot_id hs-01\), geometry\.coordinates\[0\]\[0\]: .* is not a WGS84 \[longitude, latitude\] in Great Britain/,
    ],
    [
      'British National Grid metres',
      (r) => (exteriorOf(r, 0)[2] = [530100, 180100]),
      /geometry\.coordinates\[0\]\[2\]: \[530100,180100\] is not a WGS84/,
    ],
    [
      'a corner in Dublin',
      (r) => (exteriorOf(r, 0)[2] = [-6.2603, 53.3498]),
      /geometry\.coordinates\[0\]\[2\]: \[-6\.2603,53\.3498\] is not a WGS84 \[longitude, latitude\] in Great Britain/,
    ],
    [
      'a ring that is not closed',
      (r) => exteriorOf(r, 0).pop(),
      /geometry\.coordinates\[0\]: ring is not closed/,
    ],
    [
      'an area too small to hold a cell centre',
      (r) => {
        // 10 m square from E 530000, N 180000: the nearest cell centre is at (530012.5, 180012.5)
        const ring = [
          [530000, 180000],
          [530010, 180000],
          [530010, 180010],
          [530000, 180010],
          [530000, 180000],
        ]
        at(r.features, 0).geometry = {
          type: 'Polygon',
          coordinates: [ring.map(([e, n]) => toLonLat(e as number, n as number))],
        }
      },
      /features\[0\] \(hotspot_id hs-01\), geometry: contains no 25 m grid cell centre/,
    ],
    [
      'a British National Grid crs',
      (r) => (r.crs = { type: 'name', properties: { name: 'urn:ogc:def:crs:EPSG::27700' } }),
      /^bad\.geojson: crs\.properties\.name: the register must be WGS84 longitude\/latitude/,
    ],
    ['no features', (r) => (r.features = []), /^bad\.geojson: features: the register has no areas$/],
  ]

  it.each(cases)('is refused, naming the feature and field: %s', async (_, mutate, message) => {
    const register = fixture()
    mutate(register)
    const file = path.join(dir, 'bad.geojson')
    await writeFile(file, JSON.stringify(register))

    const error = await loadReference(store, 'register', file, clock).catch((e: unknown) => e)

    expect(error).toBeInstanceOf(ReferenceDataError)
    expect((error as Error).message.replace(`${dir}${path.sep}`, '')).toMatch(message)
    expect((error as Error).message).not.toContain('\n')
    expect(await keysOf()).toEqual([])
  })

  it('that is not JSON is refused with the line and column', async () => {
    const file = path.join(dir, 'broken.geojson')
    // a trailing comma, the usual slip when editing by hand
    await writeFile(file, '{\n  "type": "FeatureCollection",\n  "features": [],\n}\n')
    await expect(loadReference(store, 'register', file, clock)).rejects.toThrow(
      /broken\.geojson: line 4, column 1: invalid JSON: Expected double-quoted property name$/,
    )
  })
})

const { path: BOROUGHS, present: HAVE_BOROUGHS } = sharedData(
  'geo/london_boroughs_WGS84.geojson',
  'the real-boundary register test',
)

describe.skipIf(!HAVE_BOROUGHS)('a real boundary: the City of London (E09000001)', () => {
  it('rasterises to the cells of its area, each decided exactly as a point-in-polygon test would', async () => {
    const boroughs = JSON.parse(await readFile(BOROUGHS, 'utf8'))
    const city = boroughs.features.find(
      (f: { properties: { gss_code: string } }) => f.properties.gss_code === 'E09000001',
    )
    const file = path.join(dir, 'city.geojson')
    await writeFile(
      file,
      JSON.stringify({
        type: 'FeatureCollection',
        features: [
          {
            type: 'Feature',
            geometry: city.geometry,
            properties: {
              hotspot_id: 'city',
              name: 'City of London',
              borough: 'City of London',
              commander_id: 'cmd-city',
              phases: [{ phase: 'clear', from: '2024-01-08' }],
            },
          },
        ],
      }),
    )
    const ring: [number, number][] = city.geometry.coordinates[0].map(([lon, lat]: number[]) => {
      const { easting, northing } = fromWgs84(lat as number, lon as number)
      return [easting, northing]
    })
    let twiceArea = 0
    for (let i = 1; i < ring.length; i++) {
      const [x0, y0] = ring[i - 1] as [number, number]
      const [x1, y1] = ring[i] as [number, number]
      twiceArea += x0 * y1 - x1 * y0
    }
    const area = Math.abs(twiceArea) / 2
    // 314.9 ha including its stretch of the Thames (the boundary file's own `hectares`): about 5,039 cells
    expect(area / 10_000).toBeCloseTo(city.properties.hectares, 0)

    const result = await loadReference(store, 'register', file, clock)

    const cells = result.summary.hotspot_cells as number
    expect(Math.abs(cells - area / 625) / (area / 625)).toBeLessThan(0.005)

    // every cell centre near the boundary, decided independently: inside by ray casting, buffer by distance
    const stored = await query(`select role, cell_x, cell_y from ${parquetOf(result.keys[1] as string)}`)
    const storedRole = new Map(stored.map((r) => [`${r.cell_x},${r.cell_y}`, r.role]))
    const xs = ring.map((p) => p[0])
    const ys = ring.map((p) => p[1])
    let checked = 0
    for (
      let x = Math.floor((Math.min(...xs) - 150) / 25);
      x <= Math.ceil((Math.max(...xs) + 150) / 25);
      x++
    ) {
      for (
        let y = Math.floor((Math.min(...ys) - 150) / 25);
        y <= Math.ceil((Math.max(...ys) + 150) / 25);
        y++
      ) {
        const cx = (x + 0.5) * 25
        const cy = (y + 0.5) * 25
        const expected = insideRing(ring, cx, cy)
          ? 'hotspot'
          : distanceToRing(ring, cx, cy) <= 100
            ? 'buffer'
            : undefined
        expect(storedRole.get(`${x},${y}`), `cell ${x},${y}`).toBe(expected)
        checked++
      }
    }
    expect(checked).toBeGreaterThan(stored.length)
  })
})

function insideRing(ring: [number, number][], x: number, y: number): boolean {
  let inside = false
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i] as [number, number]
    const [xj, yj] = ring[j] as [number, number]
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside
  }
  return inside
}

function distanceToRing(ring: [number, number][], x: number, y: number): number {
  let best = Number.POSITIVE_INFINITY
  for (let i = 1; i < ring.length; i++) {
    const [ax, ay] = ring[i - 1] as [number, number]
    const [bx, by] = ring[i] as [number, number]
    const t = Math.max(
      0,
      Math.min(1, ((x - ax) * (bx - ax) + (y - ay) * (by - ay)) / ((bx - ax) ** 2 + (by - ay) ** 2)),
    )
    best = Math.min(best, Math.hypot(ax + t * (bx - ax) - x, ay + t * (by - ay) - y))
  }
  return best
}

function toLonLat(easting: number, northing: number): [number, number] {
  const { lat, lon } = toWgs84(easting, northing)
  return [lon, lat]
}
